# taskfarm container image: the packaged thin jar (target/taskfarm.jar + target/lib/) on a JRE.
# One image for every role; TASKFARM_ROLE=coordinator|worker|all picks what runs.
#
#   mvn -B package -DskipTests
#   docker build -t taskfarm:0.1.0 .
#
# Layout (the Kubernetes manifests and their tests rely on it, see docs/KUBERNETES.md):
#   /app                  working directory: the app reads application.properties and routes/ here
#   /app/taskfarm.jar     main jar, its manifest puts lib/*.jar on the class path
#   /app/lib/             runtime dependencies
#   /app/routes/          default YAML routes; Kubernetes mounts ConfigMaps over routes/coordinator
#                         and routes/worker, so editing routes needs no image rebuild
#   /app/computes/        custom compute jars, loaded at start (taskfarm.computes.dir): an image
#                         FROM this one adds them with COPY, or Kubernetes mounts a volume here
#   /app/var              writable: inbox, outbox and H2 ledger of a coordinator (a volume on Kubernetes)
FROM eclipse-temurin:17-jre

RUN groupadd --system --gid 10001 taskfarm \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin taskfarm \
 && mkdir -p /app/var /app/computes \
 && chown 10001:10001 /app/var

WORKDIR /app

# dependencies first: they change less often than the application, so this layer is reused
COPY target/lib/ /app/lib/
COPY target/taskfarm.jar /app/taskfarm.jar
COPY routes/ /app/routes/

# the JVM sizes its heap from the container's memory limit and exits on OutOfMemoryError, so
# Kubernetes restarts the pod instead of leaving a half-dead JVM; Log4j's own shutdown hook is
# off so the log shows Camel's graceful shutdown on SIGTERM (otherwise logging stops first)
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError -Dlog4j2.shutdownHookEnabled=false" \
    TASKFARM_INBOX=var/inbox \
    TASKFARM_OUTBOX=var/outbox \
    TASKFARM_DATA=var/data

USER 10001:10001
EXPOSE 8080

# exec form: java is PID 1 and receives SIGTERM directly, so Camel shuts down gracefully
ENTRYPOINT ["java", "-jar", "/app/taskfarm.jar"]
