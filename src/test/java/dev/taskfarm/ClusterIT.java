package dev.taskfarm;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.RabbitCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A job on a private 3-node RabbitMQ cluster (scripts/rabbitmq-cluster: tf1..tf3@localhost on
 * 5701-5703, quorum queues with a member on every node), the coordinator and two workers in JVMs
 * of their own, each connected first to another node: the coordinator to node 1, worker 1 to
 * node 2 (given as a URL with a host list), worker 2 to node 3 (RABBITMQ_ADDRESSES style). One
 * job per node: mid-job the node is stopped, the farm fails over, the node is started again, and
 * the job completes with every index exactly once. The time to resume after each node loss is
 * printed and written to target/cluster-it-report.txt.
 *
 * <p>The suite runs 2,000 tasks per job; the full version is
 * {@code mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ClusterIT -Dtaskfarm.cluster-it.tasks=20000}
 * (docs/DESIGN-NOTES.md, "RabbitMQ cluster").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    static final int TASKS = Integer.getInteger("taskfarm.cluster-it.tasks", 2000);
    /** how long one task holds a consumer: 2 workers x 2 consumers make ~TASKS/ (4000 / SLEEP_MS) s per job */
    static final int SLEEP_MS = Integer.getInteger("taskfarm.cluster-it.sleep-ms", TASKS > 5000 ? 5 : 20);
    static final ObjectMapper MAPPER = new ObjectMapper();

    static RabbitCluster cluster;
    static FarmProcess coordinator;
    static final List<FarmProcess> workers = new ArrayList<>();
    static Http api;
    static Path dir;
    static String requests;

    @BeforeAll
    static void startClusterAndFarm() throws Exception {
        cluster = RabbitCluster.start(3);
        dir = Files.createTempDirectory("taskfarm-cluster-it-");
        String q = "cl-" + UUID.randomUUID().toString().substring(0, 8);
        requests = q + ".requests";
        Map<String, String> common = new HashMap<>();
        common.put("taskfarm.broker", "rabbitmq");
        common.put("taskfarm.rabbitmq.username", "guest");
        common.put("taskfarm.rabbitmq.password", "guest");
        common.put("taskfarm.rabbitmq.address-shuffle", "none");
        common.put("taskfarm.queue.requests", requests);
        common.put("taskfarm.queue.replies", q + ".replies");
        common.put("taskfarm.queue.dead-letters", q + ".requests.dlq");
        common.put("taskfarm.exchange.control", q + ".control");
        common.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        common.put("taskfarm.retry.delay-ms", "10");

        Map<String, String> c = new HashMap<>(common);
        c.put("taskfarm.role", "coordinator");
        c.put("taskfarm.rabbitmq.addresses", cluster.addresses(1));
        c.put("taskfarm.computes.external", "flaky");
        int port = freePort();
        c.put("taskfarm.http.port", String.valueOf(port));
        c.put("taskfarm.inbox", dir.resolve("inbox").toString());
        c.put("taskfarm.outbox", dir.resolve("outbox").toString());
        c.put("taskfarm.data", dir.resolve("data").toString());
        c.put("taskfarm.instance-id", q + "-coordinator");
        coordinator = new FarmProcess("coordinator", dir.resolve("coordinator"), c).start();
        coordinator.awaitStarted(Duration.ofMinutes(2));
        api = new Http(java.net.URI.create("http://127.0.0.1:" + port));

        for (int w = 1; w <= 2; w++) {
            Map<String, String> p = new HashMap<>(common);
            p.put("taskfarm.role", "worker");
            p.put("taskfarm.worker.slots", "2");
            p.put("taskfarm.http.port", "0");
            if (w == 1) {
                p.put("taskfarm.rabbitmq.url", "amqp://" + cluster.addresses(2));
            } else {
                p.put("taskfarm.rabbitmq.addresses", cluster.addresses(3));
            }
            workers.add(new FarmProcess("worker-" + w, dir.resolve("worker-" + w), p).start());
        }
        for (FarmProcess w : workers) {
            w.awaitStarted(Duration.ofMinutes(2));
        }
        String queues = cluster.ctl(1, "list_queues", "name", "type", "members");
        for (String name : new String[] {requests + ".sha256", q + ".replies"}) {
            String line = queues.lines().filter(l -> l.startsWith(name + "\t")).findFirst().orElseThrow(
                    () -> new AssertionError(name + " not in\n" + queues));
            assertThat(line).as("a quorum queue with a member on each node").contains("quorum")
                    .contains("tf1@localhost").contains("tf2@localhost").contains("tf3@localhost");
        }
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (FarmProcess w : workers) {
            w.stop();
        }
        if (coordinator != null) {
            coordinator.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void losingTheNodeOfWorker1() throws Exception {
        assertThat(cluster.connectionsOn(1, 2, "taskfarm-worker")).as("worker 1 is on node 2").isPositive();
        loseNodeMidJob(2, "worker 1's node");
    }

    @Test
    @Order(2)
    void losingTheNodeOfWorker2() throws Exception {
        assertThat(cluster.connectionsOn(1, 3, "taskfarm-worker")).as("worker 2 is on node 3").isPositive();
        loseNodeMidJob(3, "worker 2's node");
    }

    @Test
    @Order(3)
    void losingTheNodeOfTheCoordinator() throws Exception {
        assertThat(cluster.connectionsOn(1, 1, "taskfarm-coordinator")).as("the coordinator is on node 1").isPositive();
        loseNodeMidJob(1, "the coordinator's node");
    }

    /** Runs a job, stops {@code node} a fifth into it, starts it again once the job moves on, and checks the result. */
    private void loseNodeMidJob(int node, String what) throws Exception {
        String jobId = "loss-node" + node;
        ObjectNode job = Jobs.shaJob("flaky", TASKS, 1);
        job.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", SLEEP_MS));
        // a farm that does not resume ends the job timed_out (and the test fails saying so) instead of hanging
        job.put("timeout", TASKS > 5000 ? "PT15M" : "PT3M");
        Path inbox = dir.resolve("inbox");
        Files.writeString(inbox.resolve("." + jobId + ".tmp"), job.toString());
        Files.move(inbox.resolve("." + jobId + ".tmp"), inbox.resolve(jobId + ".json"));
        Path result = dir.resolve("outbox").resolve(jobId + ".result.json");

        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50)).until(() -> done(jobId) >= TASKS / 5);
        List<long[]> samples = new CopyOnWriteArrayList<>();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> samples.add(new long[] {System.nanoTime(), done(jobId)}), 0, 50, TimeUnit.MILLISECONDS);
        int doneAtStop = done(jobId);
        long stoppedAt = System.nanoTime();
        cluster.stopNode(node);
        double stopSeconds = (System.nanoTime() - stoppedAt) / 1e9;
        int resumeMark = doneAtStop + Math.max(100, TASKS / 50);
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> done(jobId) >= resumeMark || Files.exists(result));
        long resumedAt = samples.stream().filter(x -> x[0] >= stoppedAt && x[1] >= resumeMark).mapToLong(x -> x[0])
                .findFirst().orElse(System.nanoTime());
        double resumedSeconds = (resumedAt - stoppedAt) / 1e9;
        int doneAtRestart = done(jobId);
        cluster.startNode(node);
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        sampler.shutdownNow();
        sampler.awaitTermination(5, TimeUnit.SECONDS);

        JsonNode r = MAPPER.readTree(result.toFile());
        assertThat(r.get("status").asText()).as(jobId + " after losing " + what + ": " + r.get("succeeded") + "/" + TASKS
                + " succeeded; coordinator log " + coordinator.log()).isEqualTo("completed");
        assertThat(r.get("succeeded").asInt()).isEqualTo(TASKS);
        JsonNode results = r.get("results");
        assertThat(results).hasSize(TASKS);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < TASKS; i++) {
            assertThat(results.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(seen.add(results.get(i).get("index").asInt())).isTrue();
            assertThat(results.get(i).get("result").asText()).isEqualTo(Jobs.expectedSha(i, 1));
        }
        long duplicates = coordinator.countInLog("of job " + jobId + " already has a result");
        String line = String.format(java.util.Locale.ROOT,
                "%s: %d tasks, node tf%d@localhost (%s) stopped at %d done (rabbitmqctl stop took %.1f s); +%d tasks done %.1f s after the stop began;"
                        + " longest stall %.1f s; node restarted at %d done; %s in %.1f s, %d duplicate replies dropped",
                jobId, TASKS, node, what, doneAtStop, stopSeconds, resumeMark - doneAtStop, resumedSeconds,
                longestStall(samples, stoppedAt), doneAtRestart, r.get("status").asText(),
                java.time.Duration.between(java.time.Instant.parse(r.get("startedAt").asText()),
                        java.time.Instant.parse(r.get("finishedAt").asText())).toMillis() / 1000.0, duplicates);
        System.out.println("[ClusterIT] " + line);
        Files.writeString(Path.of("target", "cluster-it-report.txt"), line + System.lineSeparator(),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The longest time after the stop in which the done count did not grow (until the job was done). */
    private static double longestStall(List<long[]> samples, long from) {
        long last = from;
        long lastDone = -1;
        long longest = 0;
        for (long[] s : samples) {
            if (s[0] < from || s[1] < 0) {
                continue;
            }
            if (lastDone < 0 || s[1] > lastDone) {
                longest = Math.max(longest, s[0] - last);
                last = s[0];
                lastDone = s[1];
            }
            if (s[1] >= TASKS) {
                break;
            }
        }
        return longest / 1e9;
    }

    private static int done(String jobId) {
        try {
            var response = api.get("/jobs/" + jobId);
            return response.statusCode() == 200 ? Http.parse(response.body()).get("done").asInt() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
