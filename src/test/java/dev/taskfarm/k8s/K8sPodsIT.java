package dev.taskfarm.k8s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fabric8.kubernetes.api.model.Probe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.taskfarm.support.TestQueues;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;

import static dev.taskfarm.k8s.AppConfig.PROJECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starts the packaged jar exactly as the pods of k8s/overlays/dev (coordinator StatefulSet, worker
 * Deployment) and k8s/camel-k (worker Integration) would run it (see {@link PodProcess}), against
 * the local RabbitMQ, and runs a job through the coordinator's inbox while one worker gets SIGTERM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class K8sPodsIT {

    static final int TASKS = 48;
    static final int ROUNDS = 1_500_000;
    static final Pattern WORKER_TASKS = Pattern.compile("taskfarm_task_duration_seconds_count(?:\\{[^}]*\\})? ([0-9.Ee+]+)");

    static Path dir;
    static ImageSpec image;
    static Rendered dev;
    static Rendered camelK;
    static com.rabbitmq.client.ConnectionFactory broker;
    static String queuePrefix;
    static AppPod coordinatorPod;
    static AppPod workerPod;
    static AppPod camelKWorkerPod;
    static PodProcess coordinator;
    static PodProcess worker;
    static PodProcess camelKWorker;
    static final List<PodProcess> STARTED = new ArrayList<>();

    @BeforeAll
    static void startPods() throws Exception {
        assertThat(PROJECT.resolve("target/taskfarm.jar")).as("the packaged jar (failsafe runs after package)").exists();
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        broker = TestBroker.connectionFactory();
        image = ImageSpec.parse(PROJECT.resolve("Dockerfile"));
        dev = Rendered.of(PROJECT.resolve("k8s/overlays/dev"));
        camelK = Rendered.of(PROJECT.resolve("k8s/camel-k"));
        coordinatorPod = pod(dev, "StatefulSet", "coordinator");
        workerPod = pod(dev, "Deployment", "worker");
        camelKWorkerPod = pod(camelK, "Integration", "worker");

        dir = Files.createTempDirectory("taskfarm-pods-");
        queuePrefix = "k8s-it-" + UUID.randomUUID().toString().substring(0, 8);
        PodProcess.Overrides overrides = new PodProcess.Overrides(
                Map.of("RABBITMQ_HOST", broker.getHost(), "RABBITMQ_PORT", String.valueOf(broker.getPort())),
                Map.of("TASKFARM_QUEUE_REQUESTS", queuePrefix + ".requests",
                        "TASKFARM_QUEUE_REPLIES", queuePrefix + ".replies",
                        "TASKFARM_QUEUE_DEAD_LETTERS", queuePrefix + ".requests.dlq"),
                Map.of("taskfarm-rabbitmq-default-user", Map.of("username", broker.getUsername(), "password", broker.getPassword())));
        coordinator = start(coordinatorPod, dev, overrides);
        worker = start(workerPod, dev, overrides);
        camelKWorker = start(camelKWorkerPod, camelK, overrides);
        awaitStarted(coordinator, coordinatorPod);
        awaitStarted(worker, workerPod);
        awaitStarted(camelKWorker, camelKWorkerPod);
    }

    @AfterAll
    static void stopPods() throws Exception {
        for (PodProcess p : STARTED) {
            p.close();
        }
        if (dir != null) {
            PodProcess.deleteTree(dir);
        }
        if (broker != null && queuePrefix != null) {
            ConnectionFactory cf = new ConnectionFactory();
            cf.setHost(broker.getHost());
            cf.setPort(broker.getPort());
            cf.setVirtualHost(broker.getVirtualHost());
            cf.setUsername(broker.getUsername());
            cf.setPassword(broker.getPassword());
            try (Connection c = cf.newConnection("k8s-it-cleanup"); Channel ch = c.createChannel()) {
                for (String q : TestQueues.of(queuePrefix)) {
                    ch.queueDelete(q);
                }
            }
        }
    }

    @Test
    @Order(1)
    void podsPassTheirOwnProbesAndReadTheMountedConfiguration() {
        for (var e : Map.of(coordinator, coordinatorPod, worker, workerPod, camelKWorker, camelKWorkerPod).entrySet()) {
            for (Probe p : e.getValue().probes()) {
                assertThat(e.getKey().probe(p)).as(e.getValue().name() + " probe " + p.getHttpGet().getPath()).isTrue();
            }
        }
        String metricsPath = workerPod.owner() instanceof io.fabric8.kubernetes.api.model.apps.Deployment d
                ? d.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path") : null;
        assertThat(metricsPath).isNotNull();
        assertThat(worker.get(metricsPath).body()).as("the scrape path of the pod annotations").contains("taskfarm_task_duration_seconds");
        for (PodProcess w : List.of(worker, camelKWorker)) {
            assertThat(w.log()).as(w.name() + " runs as a worker on the queues of this test")
                    .contains("taskfarm starting as role worker")
                    .contains("Started worker (taskfarm-amqp://" + queuePrefix + ".requests)")
                    // 10 comes from k8s/common/application.properties (the jar says 20)
                    .containsPattern("taskfarm\\.worker\\.lookahead = 10\\b");
            assertThat(w.log()).as(w.name() + " loads the worker routes only").contains("Started worker (").doesNotContain("collect-replies");
        }
        assertThat(worker.log()).as("dev overlay env wins over the properties file")
                .containsPattern("taskfarm\\.worker\\.slots = 2\\b");
        assertThat(coordinator.log()).contains("taskfarm starting as role coordinator").contains("Started collect-replies (")
                .doesNotContain("Started worker (");
    }

    @Test
    @Order(2)
    void aJobDroppedInTheInboxCompletesWhileAWorkerIsStoppedGracefully() throws Exception {
        AppConfig config = AppConfig.of(coordinatorPod, dev, image);
        Path inbox = coordinator.path(config.path("taskfarm.inbox"));
        Path outbox = coordinator.path(config.path("taskfarm.outbox"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.isDirectory(inbox));
        Path tmp = inbox.resolve(".k8s-job.json.tmp");
        Files.writeString(tmp, Jobs.shaJob("sha256", TASKS, ROUNDS).toString());
        Files.move(tmp, inbox.resolve("k8s-job.json"));

        // once the Deployment worker has done some tasks, delete its pod: SIGTERM
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> workerTasks(worker) >= 1);
        worker.terminate();
        // waits for the exit (no time bound: a slow machine is not a failure); what matters is that
        // it shut down gracefully, not how fast
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> !worker.process().isAlive());
        assertThat(worker.process().exitValue()).as("exit on SIGTERM, not a crash\n" + worker.logTail()).isIn(0, 143);
        assertThat(worker.log()).as("Camel shut down gracefully").contains("JVM shutdown hook triggered by SIGTERM")
                .containsPattern("Apache Camel \\S+ \\(taskfarm\\) shutdown in");

        Path result = outbox.resolve("k8s-job.result.json");
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(coordinator.process().isAlive()).as("coordinator alive\n" + coordinator.logTail()).isTrue();
            return Files.exists(result);
        });
        JsonNode job = new ObjectMapper().readTree(result.toFile());
        assertThat(job.get("status").asText()).isEqualTo("completed");
        assertThat(job.get("total").asInt()).isEqualTo(TASKS);
        assertThat(job.get("succeeded").asInt()).isEqualTo(TASKS);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < TASKS; i++) {
            JsonNode r = job.get("results").get(i);
            assertThat(seen.add(r.get("index").asInt())).isTrue();
            assertThat(r.get("index").asInt()).isEqualTo(i);
            assertThat(r.get("result").asText()).as("task " + i).isEqualTo(Jobs.expectedSha(i, ROUNDS));
        }
        assertThat(job.get("results")).hasSize(TASKS);
        // the intake's exchange ends once the job is accepted and handed to the dispatch, so the
        // file's move to .done is not ordered with the job's end: wait for it
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(inbox.resolve(".done/k8s-job.json")));
        assertThat(workerTasks(camelKWorker)).as("the Camel K worker took its share, including the stopped worker's").isPositive();
    }

    @Test
    @Order(3)
    void nothingIsWrittenOutsideThePodsWritableVolumes() throws Exception {
        for (PodProcess p : List.of(coordinator, worker, camelKWorker)) {
            assertThat(p.writesOutsideVolumes()).as(p.name() + " writes only to its volumes (read-only root file system)").isEmpty();
        }
        AppConfig config = AppConfig.of(coordinatorPod, dev, image);
        assertThat(coordinator.path(config.path("taskfarm.data"))).as("the H2 ledger is on the coordinator's volume")
                .isDirectoryContaining(f -> f.getFileName().toString().startsWith("ledger"));
    }

    private static double workerTasks(PodProcess p) {
        var res = p.get("/observe/metrics");
        if (res == null || res.statusCode() != 200) {
            return 0;
        }
        Matcher m = WORKER_TASKS.matcher(res.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static AppPod pod(Rendered r, String kind, String role) {
        return AppPod.of(r).stream().filter(p -> p.owner().getKind().equals(kind) && role.equals(p.role())).findFirst()
                .orElseThrow(() -> new AssertionError(r + ": no " + kind + " with role " + role));
    }

    private static PodProcess start(AppPod pod, Rendered r, PodProcess.Overrides o) throws Exception {
        PodProcess p = PodProcess.start(pod, r, image, dir, o);
        STARTED.add(p);
        return p;
    }

    /**
     * Waits until the startup probe passes, then the readiness probe (a coordinator is not ready
     * until its inbox consumer has polled once). No time bound of the kubelet's: how fast a pod
     * starts depends on the machine, and is measured in the benchmark, not here.
     */
    private static void awaitStarted(PodProcess p, AppPod pod) {
        Probe startup = pod.container().getStartupProbe();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
            assertThat(p.process().isAlive()).as(pod.name() + " exited while starting:\n" + p.logTail()).isTrue();
            return p.probe(startup);
        });
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250))
                .until(() -> p.probe(pod.container().getReadinessProbe()));
    }
}
