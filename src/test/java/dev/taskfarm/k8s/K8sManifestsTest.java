package dev.taskfarm.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.apache.camel.v1.Integration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.taskfarm.k8s.AppConfig.PROJECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Kubernetes and Camel K manifests, checked without a cluster: every kustomization under
 * k8s/ and routes/ is rendered with {@code kubectl kustomize} and parsed with the fabric8 model
 * and the Camel K CRD classes; then what the objects say about each other and about the app is
 * checked (ConfigMap keys against routes/, Secret names and keys, ports, probe paths, selectors,
 * the KEDA trigger's queue, volumes for what the app writes), and the Dockerfile against the pods.
 */
class K8sManifestsTest {

    /** The kustomizations that must exist; more may (each is rendered and parsed). */
    static final List<String> EXPECTED = List.of("routes", "k8s/common", "k8s/base", "k8s/overlays/dev", "k8s/overlays/prod",
            "k8s/overlays/plain-rabbitmq", "k8s/camel-k");

    /** Kinds a render may contain. */
    static final Set<String> KINDS = Set.of("Namespace", "ConfigMap", "Service", "Deployment", "StatefulSet",
            "PersistentVolumeClaim", "PodDisruptionBudget", "RabbitmqCluster", "ScaledObject", "TriggerAuthentication", "Integration");

    /** Keys of the Secret the RabbitMQ Cluster Operator creates for a cluster (name-default-user). */
    static final Set<String> OPERATOR_SECRET_KEYS = Set.of("username", "password", "host", "port", "connection_string");

    static final Map<Path, Rendered> RENDERS = new TreeMap<>();
    static ImageSpec image;

    @BeforeAll
    static void render() throws Exception {
        image = ImageSpec.parse(PROJECT.resolve("Dockerfile"));
        renders();
    }

    static synchronized Map<Path, Rendered> renders() throws IOException, InterruptedException {
        if (RENDERS.isEmpty()) {
            for (Path dir : Kubectl.kustomizations(PROJECT.resolve("k8s"), PROJECT.resolve("routes"))) {
                RENDERS.put(PROJECT.relativize(dir), Rendered.of(dir));
            }
        }
        return RENDERS;
    }

    /** Renders that are deployed as they are: they carry a Namespace and taskfarm pods. */
    static Stream<Named<Rendered>> deployables() throws Exception {
        return renders().entrySet().stream()
                .filter(e -> !e.getValue().all(Namespace.class).isEmpty() && !AppPod.of(e.getValue()).isEmpty())
                .map(e -> Named.of(e.getKey().toString(), e.getValue()));
    }

    @Test
    void everyKustomizationRendersAndEveryObjectParses() throws Exception {
        assertThat(renders().keySet().stream().map(Path::toString)).containsAll(EXPECTED);
        for (Rendered r : renders().values()) {
            assertThat(r.all()).as(r + " renders objects").isNotEmpty();
            for (HasMetadata o : r.all()) {
                assertThat(o.getMetadata().getName()).as(r + ": a " + o.getKind() + " without a name").isNotBlank();
                assertThat(o.getMetadata().getName()).as(r + ": DNS-1123 name").matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
                assertThat(KINDS).as(r + ": unexpected kind " + o.getKind()).contains(o.getKind());
            }
        }
        assertThat(deployables().map(Named::getName)).containsExactlyInAnyOrder("k8s/base", "k8s/overlays/dev",
                "k8s/overlays/prod", "k8s/overlays/plain-rabbitmq", "k8s/camel-k");
    }

    @Test
    void routeConfigMapsHoldExactlyTheRouteFilesOfEachRole() throws Exception {
        Rendered routes = renders().get(Path.of("routes"));
        Set<String> roles = new TreeSet<>();
        try (Stream<Path> files = Files.walk(PROJECT.resolve("routes"))) {
            files.filter(f -> f.toString().endsWith(".camel.yaml"))
                    .forEach(f -> roles.add(PROJECT.resolve("routes").relativize(f).getParent().toString()));
        }
        assertThat(roles).containsExactlyInAnyOrder("coordinator", "worker");
        for (String role : roles) {
            ConfigMap cm = routes.all(ConfigMap.class).stream()
                    .filter(c -> c.getMetadata().getName().startsWith("taskfarm-routes-" + role + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("routes/kustomization.yaml generates no taskfarm-routes-" + role));
            Map<String, String> files = routeFiles(role);
            Set<String> missing = new TreeSet<>(files.keySet());
            missing.removeAll(cm.getData().keySet());
            Set<String> extra = new TreeSet<>(cm.getData().keySet());
            extra.removeAll(files.keySet());
            assertThat(missing).as("route files not listed in routes/kustomization.yaml (add them as "
                    + role + "/<file> under taskfarm-routes-" + role + ")").isEmpty();
            assertThat(extra).as("routes/kustomization.yaml lists files routes/" + role + " does not have").isEmpty();
            assertThat(cm.getData()).isEqualTo(files);
        }
    }

    /** routes/ROLE/*.camel.yaml by file name, with their content. */
    static Map<String, String> routeFiles(String role) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(PROJECT.resolve("routes").resolve(role))) {
            for (Path f : s.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                files.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        return files;
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void oneNamespaceAndNoCredentialValues(Rendered r) {
        Set<String> namespaces = new TreeSet<>();
        r.all().stream().filter(o -> !(o instanceof Namespace)).forEach(o -> namespaces.add(String.valueOf(o.getMetadata().getNamespace())));
        assertThat(namespaces).as("namespaces of " + r).hasSize(1);
        assertThat(r.all(Namespace.class)).extracting(n -> n.getMetadata().getName()).containsExactlyElementsOf(namespaces);
        assertThat(r.all(Secret.class)).as("Secrets are referenced, never committed").isEmpty();
        for (AppPod pod : AppPod.of(r)) {
            for (EnvVar e : pod.container().getEnv()) {
                if (e.getName().matches(".*(PASSWORD|USERNAME|_PASS|_USER|TOKEN|SECRET).*")) {
                    assertThat(e.getValueFrom()).as(pod.name() + ": " + e.getName() + " must come from a Secret").isNotNull();
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void appPodsFindTheirRoleRoutesAndPropertiesWhereTheAppReadsThem(Rendered r) throws Exception {
        List<AppPod> pods = AppPod.of(r);
        assertThat(pods.stream().map(AppPod::role)).containsExactlyInAnyOrder("coordinator", "worker");
        Set<Object> knownKeys = AppConfig.jarDefaults().keySet();
        for (AppPod pod : pods) {
            AppConfig config = AppConfig.of(pod, r, image);
            assertThat(pod.env("TASKFARM_BROKER")).as(pod.name() + " never falls back to an embedded broker").isEqualTo("rabbitmq");
            assertThat(config.workingDir()).as(pod.name() + " working directory").isEqualTo(image.workdir());

            String routesDir = config.path("taskfarm.routes") + "/" + pod.role();
            var mount = pod.mountAt(routesDir).orElseThrow(() -> new AssertionError(pod.name() + ": nothing mounted at " + routesDir));
            var volume = pod.volume(mount.getName());
            assertThat(volume.getConfigMap()).as(pod.name() + ": routes come from a ConfigMap").isNotNull();
            assertThat(r.configMap(volume.getConfigMap().getName()).getData()).as(pod.name() + " routes")
                    .isEqualTo(routeFiles(pod.role()));
            String other = pod.role().equals("worker") ? "coordinator" : "worker";
            assertThat(pod.mountAt(config.path("taskfarm.routes") + "/" + other)).as(pod.name() + " mounts only its role's routes").isEmpty();

            String props = AppConfig.mountedFile(pod, r, config.workingDir() + "/application.properties")
                    .orElseThrow(() -> new AssertionError(pod.name() + ": no application.properties mounted in " + config.workingDir()));
            assertThat(props).isEqualTo(Files.readString(PROJECT.resolve("k8s/common/application.properties")));
            assertThat(knownKeys).as("keys of k8s/common/application.properties are settings of the app")
                    .containsAll(config.mounted().keySet());
            assertThat(config.get("taskfarm.worker.lookahead")).isEqualTo(config.mounted().getProperty("taskfarm.worker.lookahead"));
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void probesCallTheAppsHealthEndpointsOnItsHttpPort(Rendered r) throws Exception {
        for (AppPod pod : AppPod.of(r)) {
            AppConfig config = AppConfig.of(pod, r, image);
            assertThat(config.get("camel.management.enabled")).isEqualTo("true");
            assertThat(config.get("camel.management.health-check-enabled")).isEqualTo("true");
            String base = config.get("camel.management.path") == null ? "/observe" : config.get("camel.management.path");
            int httpPort = Integer.parseInt(config.get("camel.management.port"));
            assertThat(Integer.parseInt(config.get("camel.server.port"))).as("REST API and health share the port").isEqualTo(httpPort);

            Container c = pod.container();
            assertThat(c.getLivenessProbe()).as(pod.name() + " liveness").isNotNull();
            assertThat(c.getReadinessProbe()).as(pod.name() + " readiness").isNotNull();
            assertThat(c.getStartupProbe()).as(pod.name() + " startup").isNotNull();
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo(base + "/health/live");
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo(base + "/health/ready");
            for (Probe p : pod.probes()) {
                assertThat(p.getHttpGet()).as(pod.name() + ": HTTP probes").isNotNull();
                assertThat(p.getHttpGet().getPath()).isIn(base + "/health", base + "/health/live", base + "/health/ready");
                var port = pod.port(p.getHttpGet().getPort())
                        .orElseThrow(() -> new AssertionError(pod.name() + ": probe port " + p.getHttpGet().getPort() + " is no container port"));
                assertThat(port.getContainerPort()).as(pod.name() + ": probe port is the app's HTTP port").isEqualTo(httpPort);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void probeWindowsAndGracePeriodsFitTheAppsTimeouts(Rendered r) throws Exception {
        for (AppPod pod : AppPod.of(r)) {
            AppConfig config = AppConfig.of(pod, r, image);
            Probe startup = pod.container().getStartupProbe();
            long window = orZero(startup.getInitialDelaySeconds()) + (long) or(startup.getPeriodSeconds(), 10) * or(startup.getFailureThreshold(), 3);
            long brokerWait = Duration.parse(config.get("taskfarm.broker.wait")).toSeconds();
            assertThat(window).as(pod.name() + ": the startup probe waits at least as long as the app waits for RabbitMQ")
                    .isGreaterThanOrEqualTo(brokerWait);
            long grace = pod.spec().getTerminationGracePeriodSeconds() == null ? 30 : pod.spec().getTerminationGracePeriodSeconds();
            long shutdown = Long.parseLong(config.get("camel.main.shutdown-timeout"));
            assertThat(grace).as(pod.name() + ": grace period leaves Camel's graceful shutdown 10 s to spare")
                    .isGreaterThanOrEqualTo(shutdown + 10);
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void credentialsAndBrokerAddressPointAtTheRabbitMqOfTheRender(Rendered r) throws Exception {
        String docs = Files.readString(PROJECT.resolve("docs/KUBERNETES.md"));
        for (AppPod pod : AppPod.of(r)) {
            String host = pod.env("RABBITMQ_HOST");
            assertThat(host).as(pod.name() + " RABBITMQ_HOST").isNotBlank();
            int amqpPort = Integer.parseInt(pod.env("RABBITMQ_PORT"));
            String brokerSecret = host + "-default-user";
            boolean operator = r.custom("RabbitmqCluster", host).isPresent();
            if (!operator) {
                Service svc = r.find(Service.class, host).orElseThrow(() -> new AssertionError(
                        r + ": RABBITMQ_HOST " + host + " is neither a RabbitmqCluster nor a Service"));
                assertThat(svc.getSpec().getPorts()).extracting(ServicePort::getPort).contains(amqpPort);
            } else {
                assertThat(amqpPort).as("the operator's Service listens on 5672").isEqualTo(5672);
            }
            assertSecretRef(pod, "RABBITMQ_USERNAME", brokerSecret, "username");
            assertSecretRef(pod, "RABBITMQ_PASSWORD", brokerSecret, "password");
            for (EnvVar e : pod.container().getEnv()) {
                if (e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null) {
                    continue;
                }
                var ref = e.getValueFrom().getSecretKeyRef();
                if (operator && ref.getName().equals(brokerSecret)) {
                    assertThat(OPERATOR_SECRET_KEYS).as("keys of the operator's Secret").contains(ref.getKey());
                } else {
                    assertDocumentedSecret(docs, ref.getName(), ref.getKey());
                }
            }
        }
        for (StatefulSet s : r.all(StatefulSet.class)) {
            for (Container c : s.getSpec().getTemplate().getSpec().getContainers()) {
                if (c.getImage().startsWith("rabbitmq:")) {
                    var byName = new LinkedHashMap<String, EnvVar>();
                    c.getEnv().forEach(e -> byName.put(e.getName(), e));
                    assertThat(byName.get("RABBITMQ_DEFAULT_USER").getValueFrom().getSecretKeyRef().getName())
                            .isEqualTo(s.getMetadata().getName() + "-default-user");
                    assertThat(byName.get("RABBITMQ_DEFAULT_USER").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("username");
                    assertThat(byName.get("RABBITMQ_DEFAULT_PASS").getValueFrom().getSecretKeyRef().getName())
                            .isEqualTo(s.getMetadata().getName() + "-default-user");
                    assertThat(byName.get("RABBITMQ_DEFAULT_PASS").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
                    assertDocumentedSecret(docs, s.getMetadata().getName() + "-default-user", "username");
                    assertDocumentedSecret(docs, s.getMetadata().getName() + "-default-user", "password");
                }
            }
        }
    }

    private static void assertSecretRef(AppPod pod, String env, String secret, String key) {
        EnvVar e = pod.envVar(env).orElseThrow(() -> new AssertionError(pod.name() + ": no " + env));
        assertThat(e.getValueFrom()).as(pod.name() + ": " + env + " from a Secret").isNotNull();
        assertThat(e.getValueFrom().getSecretKeyRef().getName()).as(pod.name() + ": " + env + " Secret").isEqualTo(secret);
        assertThat(e.getValueFrom().getSecretKeyRef().getKey()).as(pod.name() + ": " + env + " key").isEqualTo(key);
    }

    /** A Secret the user creates must be documented: docs/KUBERNETES.md creates it with that key. */
    private static void assertDocumentedSecret(String docs, String name, String key) {
        Matcher m = Pattern.compile("create secret generic " + Pattern.quote(name) + "\\b[^`]*?(?=\\n\\s*\\n|```)", Pattern.DOTALL).matcher(docs);
        List<String> commands = new ArrayList<>();
        while (m.find()) {
            commands.add(m.group());
        }
        assertThat(commands).as("docs/KUBERNETES.md shows how to create Secret " + name).isNotEmpty();
        assertThat(commands).as("docs/KUBERNETES.md creates Secret " + name + " with key " + key)
                .anyMatch(c -> c.contains("--from-literal=" + key + "="));
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void podsRunAsTheImageUserWithResourcesAndTheTaggedImage(Rendered r) throws Exception {
        String version = version().replace("-SNAPSHOT", "");
        for (AppPod pod : AppPod.of(r)) {
            Container c = pod.container();
            assertThat(c.getImage()).as(pod.name() + " image tag is the project version").endsWith(":" + version);
            Long uid = c.getSecurityContext() != null && c.getSecurityContext().getRunAsUser() != null
                    ? c.getSecurityContext().getRunAsUser() : pod.spec().getSecurityContext().getRunAsUser();
            assertThat(uid).as(pod.name() + " runs as the image's USER").isEqualTo(image.uid());
            assertThat(image.uid()).isNotZero();
            assertThat(pod.spec().getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getResources().getRequests()).as(pod.name() + " requests").containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).as(pod.name() + " limits").containsKey("memory");
            String jvm = pod.env("JAVA_TOOL_OPTIONS") != null ? pod.env("JAVA_TOOL_OPTIONS") : image.env().get("JAVA_TOOL_OPTIONS");
            assertThat(jvm).as(pod.name() + ": heap sized from the memory limit").contains("-XX:MaxRAMPercentage=");
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void whatTheAppWritesLiesOnWritableVolumes(Rendered r) throws Exception {
        for (AppPod pod : AppPod.of(r)) {
            AppConfig config = AppConfig.of(pod, r, image);
            for (var m : pod.container().getVolumeMounts()) {
                pod.volume(m.getName()); // every mount names a volume of the pod (or a claim template)
            }
            List<String> written = new ArrayList<>(List.of("/tmp"));
            if (pod.role().equals("coordinator")) {
                written.addAll(List.of(config.path("taskfarm.inbox"), config.path("taskfarm.outbox"), config.path("taskfarm.data")));
            }
            boolean readOnlyRoot = pod.container().getSecurityContext() != null
                    && Boolean.TRUE.equals(pod.container().getSecurityContext().getReadOnlyRootFilesystem());
            for (String path : written) {
                if (path.equals("/tmp") && !readOnlyRoot) {
                    continue;
                }
                var mount = pod.container().getVolumeMounts().stream()
                        .filter(m -> path.equals(m.getMountPath()) || path.startsWith(m.getMountPath() + "/"))
                        .findFirst().orElseThrow(() -> new AssertionError(pod.name() + " writes " + path + " but no volume is mounted there"));
                assertThat(pod.writable(mount.getName())).as(pod.name() + ": " + path + " is on writable storage").isTrue();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void servicesSelectPodsAndTargetTheirPorts(Rendered r) {
        List<Service> services = new ArrayList<>(r.all(Service.class));
        r.all(Integration.class).forEach(i -> CamelK.service(i).ifPresent(services::add));
        List<PodTemplateSpec> others = new ArrayList<>();
        r.all(StatefulSet.class).forEach(s -> others.add(s.getSpec().getTemplate()));
        r.all(Deployment.class).forEach(d -> others.add(d.getSpec().getTemplate()));
        assertThat(services.stream().map(s -> s.getMetadata().getName())).as("the REST API has a Service")
                .anyMatch(n -> n.equals("taskfarm-api") || n.equals("taskfarm-coordinator"));
        for (Service svc : services) {
            Map<String, String> selector = svc.getSpec().getSelector();
            List<AppPod> pods = AppPod.of(r).stream().filter(p -> p.matches(selector)).toList();
            List<PodTemplateSpec> templates = others.stream().filter(t -> selector != null && !selector.isEmpty()
                    && t.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())).toList();
            assertThat(pods.size() + templates.size()).as("Service " + svc.getMetadata().getName() + " selects pods").isPositive();
            for (ServicePort sp : svc.getSpec().getPorts()) {
                for (AppPod p : pods) {
                    assertThat(p.port(sp.getTargetPort())).as("Service " + svc.getMetadata().getName() + " targetPort "
                            + sp.getTargetPort() + " on " + p.name()).isPresent();
                }
                for (PodTemplateSpec t : templates) {
                    assertThat(t.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                            .anyMatch(cp -> sp.getTargetPort().getIntVal() != null ? sp.getTargetPort().getIntVal().equals(cp.getContainerPort())
                                    : sp.getTargetPort().getStrVal().equals(cp.getName())))
                            .as("Service " + svc.getMetadata().getName() + " targetPort " + sp.getTargetPort()).isTrue();
                }
            }
        }
        for (AppPod pod : AppPod.of(r)) {
            if (pod.selector() != null) {
                assertThat(pod.labels().entrySet()).as(pod.name() + ": selector matches the pod labels")
                        .containsAll(pod.selector().entrySet());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("deployables")
    void disruptionBudgetCoversTheWorkers(Rendered r) {
        List<PodDisruptionBudget> pdbs = r.all(PodDisruptionBudget.class);
        assertThat(pdbs).isNotEmpty();
        Set<String> covered = new TreeSet<>();
        for (PodDisruptionBudget pdb : pdbs) {
            List<AppPod> selected = AppPod.of(r).stream().filter(p -> p.matches(pdb.getSpec().getSelector().getMatchLabels())).toList();
            assertThat(selected).as("PDB " + pdb.getMetadata().getName() + " selects pods of one role").isNotEmpty()
                    .extracting(AppPod::role).containsOnly(selected.get(0).role());
            covered.add(selected.get(0).role());
        }
        assertThat(covered).contains("worker");
    }

    @Test
    void prodRunsTwoCoordinatorsOnThePostgresLedgerWithADisruptionBudget() {
        Rendered prod = RENDERS.get(Path.of("k8s/overlays/prod"));
        StatefulSet coordinators = prod.find(StatefulSet.class, "taskfarm-coordinator").orElseThrow();
        int replicas = coordinators.getSpec().getReplicas();
        assertThat(replicas).as("coordinator replicas").isGreaterThanOrEqualTo(2);
        AppPod coordinator = AppPod.of(prod).stream().filter(p -> p.role().equals("coordinator")).findFirst().orElseThrow();
        assertThat(coordinator.env("TASKFARM_LEDGER_URL")).as("several coordinators need the shared PostgreSQL ledger")
                .startsWith("jdbc:postgresql://");
        PodDisruptionBudget pdb = prod.all(PodDisruptionBudget.class).stream()
                .filter(b -> coordinator.matches(b.getSpec().getSelector().getMatchLabels())).findFirst()
                .orElseThrow(() -> new AssertionError("no PDB selects the coordinators"));
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).as("one coordinator stays, a drain can still proceed")
                .isBetween(1, replicas - 1);
        assertThat(coordinators.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()).as("spread over nodes")
                .isNotNull();
        Rendered base = RENDERS.get(Path.of("k8s/base"));
        assertThat(base.find(StatefulSet.class, "taskfarm-coordinator").orElseThrow().getSpec().getReplicas())
                .as("the H2 ledger of base serves one coordinator").isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("deployables")
    @SuppressWarnings("unchecked")
    void kedaScalesTheWorkersOnTheRequestsQueueTheyConsume(Rendered r) throws Exception {
        List<GenericKubernetesResource> scaledObjects = r.custom("ScaledObject");
        assertThat(scaledObjects).hasSize(1);
        GenericKubernetesResource so = scaledObjects.get(0);
        Map<String, Object> spec = (Map<String, Object>) so.getAdditionalProperties().get("spec");
        Map<String, Object> target = (Map<String, Object>) spec.get("scaleTargetRef");
        AppPod worker = AppPod.of(r).stream()
                .filter(p -> p.owner().getKind().equals(target.get("kind")) && p.owner().getMetadata().getName().equals(target.get("name"))
                        && p.owner().getApiVersion().equals(target.get("apiVersion")))
                .findFirst().orElseThrow(() -> new AssertionError("ScaledObject targets " + target + ", which is not a taskfarm workload"));
        assertThat(worker.role()).isEqualTo("worker");
        Object replicas = worker.owner() instanceof Deployment d ? d.getSpec().getReplicas() : ((Integration) worker.owner()).getSpec().getReplicas();
        assertThat(replicas).as(worker.name() + " leaves its replica count to KEDA").isNull();
        int min = ((Number) spec.get("minReplicaCount")).intValue();
        int max = ((Number) spec.get("maxReplicaCount")).intValue();
        assertThat(min).isBetween(0, max);

        List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
        AppConfig config = AppConfig.of(worker, r, image);
        // one trigger per compute the workers serve, on that compute's requests queue
        String only = config.get("taskfarm.worker.computes");
        java.util.Set<String> served = only == null || only.isBlank() ? java.util.Set.of("sha256", "echo", "primes")
                : java.util.Set.of(only.split("\\s*,\\s*"));
        assertThat(triggers).extracting(t -> ((Map<String, String>) t.get("metadata")).get("queueName"))
                .as("KEDA watches the queues the workers consume")
                .containsExactlyInAnyOrderElementsOf(served.stream().map(c -> config.get("taskfarm.queue.requests") + "." + c).toList());
        Map<String, Object> trigger = triggers.get(0);
        for (Map<String, Object> t : triggers) {
            Map<String, String> meta = (Map<String, String>) t.get("metadata");
            assertThat(t.get("type")).isEqualTo("rabbitmq");
            assertThat(t.get("authenticationRef")).isEqualTo(trigger.get("authenticationRef"));
            assertThat(meta.get("mode")).isEqualTo("QueueLength");
            assertThat(Double.parseDouble(meta.get("value"))).isPositive();
            // the management API counts unacknowledged messages too: amqp counts only ready ones and
            // scales away workers in the middle of their tasks
            assertThat(meta.get("protocol")).isEqualTo("http");
            assertThat(meta.get("vhostName")).isEqualTo(worker.env("RABBITMQ_VHOST") == null ? "/" : worker.env("RABBITMQ_VHOST"));
            assertThat(meta).as("no credentials in the trigger").doesNotContainKeys("username", "password");
            String namespace = so.getMetadata().getNamespace();
            assertThat(meta.get("host")).as("the management endpoint of the broker Service the workers use, in this namespace, no credentials")
                    .isEqualTo("http://" + worker.env("RABBITMQ_HOST") + "." + namespace + ".svc:15672");
            boolean operator = !r.custom("RabbitmqCluster").isEmpty();
            if (!operator) {
                io.fabric8.kubernetes.api.model.Service broker = r.find(io.fabric8.kubernetes.api.model.Service.class,
                        worker.env("RABBITMQ_HOST")).orElseThrow();
                assertThat(broker.getSpec().getPorts()).as("the broker Service has the management port")
                        .anyMatch(port -> port.getPort() == 15672);
            }
        }
        String authName = ((Map<String, String>) trigger.get("authenticationRef")).get("name");
        GenericKubernetesResource auth = r.custom("TriggerAuthentication", authName)
                .orElseThrow(() -> new AssertionError("no TriggerAuthentication " + authName));
        List<Map<String, String>> refs = (List<Map<String, String>>) ((Map<String, Object>) auth.getAdditionalProperties().get("spec")).get("secretTargetRef");
        assertThat(refs).extracting(ref -> ref.get("parameter")).containsExactlyInAnyOrder("username", "password");
        for (Map<String, String> ref : refs) {
            var key = worker.envVar("RABBITMQ_" + ref.get("parameter").toUpperCase()).orElseThrow().getValueFrom().getSecretKeyRef();
            assertThat(ref.get("name")).as("KEDA reads the Secret the workers read").isEqualTo(key.getName());
            assertThat(ref.get("key")).isEqualTo(key.getKey());
        }
    }

    @Test
    void overlaysChangeWhatTheySay() {
        Rendered dev = RENDERS.get(Path.of("k8s/overlays/dev"));
        Rendered prod = RENDERS.get(Path.of("k8s/overlays/prod"));
        Rendered plain = RENDERS.get(Path.of("k8s/overlays/plain-rabbitmq"));
        assertThat(scaledObjectSpec(dev).get("minReplicaCount")).as("dev scales from zero").isEqualTo(0);
        assertThat(((Number) scaledObjectSpec(prod).get("maxReplicaCount")).intValue()).isGreaterThan(
                ((Number) scaledObjectSpec(dev).get("maxReplicaCount")).intValue());
        AppPod prodCoordinator = AppPod.of(prod).stream().filter(p -> p.role().equals("coordinator")).findFirst().orElseThrow();
        assertThat(prodCoordinator.env("TASKFARM_LEDGER_URL")).startsWith("jdbc:postgresql://");
        assertThat(prodCoordinator.envVar("TASKFARM_LEDGER_PASSWORD").orElseThrow().getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("taskfarm-ledger");
        assertThat(prodCoordinator.container().getImage()).startsWith("registry.example.com/taskfarm:");
        assertThat(plain.custom("RabbitmqCluster")).as("plain-rabbitmq needs no operator").isEmpty();
        assertThat(plain.find(StatefulSet.class, "taskfarm-rabbitmq")).isPresent();
        assertThat(dev.custom("RabbitmqCluster")).hasSize(1);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> scaledObjectSpec(Rendered r) {
        return (Map<String, Object>) r.custom("ScaledObject").get(0).getAdditionalProperties().get("spec");
    }

    @Test
    void theImageRunsThePackagedJarAsNonRoot() {
        assertThat(image.workdir()).isEqualTo("/app");
        assertThat(image.uid()).isNotZero();
        assertThat(image.entrypoint()).first().isEqualTo("java");
        int jar = image.entrypoint().indexOf("-jar");
        assertThat(jar).as("ENTRYPOINT runs java -jar").isPositive();
        String jarPath = image.entrypoint().get(jar + 1);
        String jarInImage = jarPath.startsWith("/") ? jarPath : image.workdir() + "/" + jarPath;
        assertThat(image.sourceOf(jarInImage)).as("the entrypoint's jar comes from the build").contains("target/taskfarm.jar");
        String libDir = jarInImage.substring(0, jarInImage.lastIndexOf('/')) + "/lib";
        assertThat(image.sourceOf(libDir)).as("the jar's manifest class path lib/ is beside it").contains("target/lib");
        assertThat(image.sourceOf(image.workdir() + "/routes")).contains("routes");
        for (String src : image.copies().keySet()) {
            assertThat(image.inBuildContext(src)).as(".dockerignore keeps " + src + " in the build context").isTrue();
        }
        assertThat(image.inBuildContext("src/main/java/dev/taskfarm/TaskfarmApp.java")).isFalse();
        assertThat(image.inBuildContext("data/ledger.mv.db")).isFalse();
        assertThat(image.env()).containsKeys("JAVA_TOOL_OPTIONS");
    }

    @Test
    void noCredentialsInManifests() throws IOException {
        Pattern userInfo = Pattern.compile("amqps?://[^/\\s:@]+:[^@\\s]+@");
        try (Stream<Path> files = Files.walk(PROJECT.resolve("k8s"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(userInfo.matcher(Files.readString(f)).find()).as(f + " holds an AMQP URL with credentials").isFalse();
            }
        }
    }

    static String version() throws IOException {
        Matcher m = Pattern.compile("<artifactId>taskfarm</artifactId>\\s*<version>([^<]+)</version>").matcher(Files.readString(PROJECT.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static long orZero(Integer i) {
        return i == null ? 0 : i;
    }

    private static int or(Integer i, int fallback) {
        return i == null ? fallback : i;
    }
}
