package dev.taskfarm.chaos;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.ResultCount;
import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Durable execution under faults, each in separate JVMs: the default single process (embedded
 * broker) stopped with SIGTERM and killed with SIGKILL at about 30% of a 3000-task job and
 * restarted; the requests queue purged mid-job on RabbitMQ. Every time the job completes with
 * every index exactly once and right; the time from restart to completion is reported, not asserted.
 */
class DurableChaosIT {

    static final int TASKS = 3000;
    static final ObjectMapper MAPPER = new ObjectMapper();

    Path dir;
    final List<FarmProcess> processes = new ArrayList<>();
    final List<String> queues = new ArrayList<>();

    @BeforeEach
    void workDir(TestInfo info) throws Exception {
        dir = Files.createDirectories(Path.of("target", "chaos",
                info.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8)))
                .toAbsolutePath();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (FarmProcess p : processes) {
            p.stop();
        }
        if (!queues.isEmpty()) {
            try (Connection c = TestBroker.connectionFactory().newConnection(); Channel ch = c.createChannel()) {
                for (String q : queues) {
                    ch.queueDelete(q);
                }
            }
        }
    }

    @Test
    void theDefaultProcessStoppedWithSigtermMidJobCompletesItAfterARestart() throws Exception {
        interruptEmbedded(false);
    }

    @Test
    void theDefaultProcessKilledWithSigkillMidJobCompletesItAfterARestart() throws Exception {
        interruptEmbedded(true);
    }

    private void interruptEmbedded(boolean sigkill) throws Exception {
        int http = freePort();
        Map<String, String> p = new HashMap<>();
        p.put("taskfarm.broker", "embedded");
        p.put("taskfarm.embedded.port", "0");
        p.put("taskfarm.http.port", String.valueOf(http));
        p.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        p.put("taskfarm.job.timeout", "PT10M");
        FarmProcess farm = new FarmProcess("farm", dir.resolve("farm"), p);
        processes.add(farm);
        farm.start().awaitStarted(Duration.ofSeconds(120));
        assertThat(dir.resolve("farm/derby.log")).as("the embedded store's log stays in its data directory").doesNotExist();
        assertThat(dir.resolve("farm/data/broker/derby.log")).exists();
        submit(dir.resolve("farm/inbox"), "chaos", slowJob(TASKS, 8));

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> done(http, "chaos") >= TASKS * 3 / 10);
        int doneAtStop = done(http, "chaos");
        if (sigkill) {
            farm.kill();
        } else {
            farm.terminate();
            // the shutdown is logged to its end (the log must not stop before Camel has stopped)
            assertThat(farm.countInLog("(taskfarm) shutdown in")).as(farm.logTail(30)).isEqualTo(1);
            // the embedded broker stops after the routes: the slots' tasks are answered, not thrown back
            assertThat(farm.countInLog("did not confirm a publish")).as(farm.logTail(60)).isZero();
        }
        Path result = dir.resolve("farm/outbox/chaos.result.json");
        assertThat(result).as("interrupted before the end").doesNotExist();

        long restart = System.nanoTime();
        farm.start();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        double seconds = (System.nanoTime() - restart) / 1e9;
        ResultCount count = ResultCount.of(result, TASKS, 1);
        System.out.printf("durable-chaos embedded %s at %d/%d done: %s; restart to completion %.1f s; "
                + "duplicate replies dropped %d; re-drives %d%n", sigkill ? "SIGKILL" : "SIGTERM", doneAtStop, TASKS, count,
                seconds, farm.countInLog("duplicate: task"), farm.countInLog("re-driven"));
        assertThat(count.status()).isEqualTo("completed");
        assertThat(count.recorded()).isEqualTo(TASKS);
        assertThat(count.lost()).isZero();
        assertThat(count.duplicated()).isZero();
    }

    @Test
    void aJobWhoseRequestsQueueIsPurgedMidJobCompletesThroughTheRedrive() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        String prefix = "purge-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> common = onSharedRabbit(prefix, queues);
        Map<String, String> c = new HashMap<>(common);
        c.put("taskfarm.role", "coordinator");
        c.put("taskfarm.redrive.stall-after", "PT3S");
        c.put("taskfarm.redrive.interval-ms", "1000");
        FarmProcess coordinator = new FarmProcess("coordinator", dir.resolve("coordinator"), c);
        Map<String, String> w = new HashMap<>(common);
        w.put("taskfarm.role", "worker");
        w.put("taskfarm.worker.lookahead", "5");
        FarmProcess worker = new FarmProcess("worker", dir.resolve("worker"), w);
        processes.addAll(List.of(coordinator, worker));
        coordinator.start();
        worker.start();
        coordinator.awaitStarted(Duration.ofSeconds(120));
        worker.awaitStarted(Duration.ofSeconds(120));
        submit(dir.resolve("coordinator/inbox"), "purged", slowJob(TASKS, 8));

        long purged;
        try (Connection conn = TestBroker.connectionFactory().newConnection(); Channel ch = conn.createChannel()) {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> coordinator.countInLog("Job purged published") > 0
                            && ch.messageCount(prefix + ".requests.poison") < TASKS * 7 / 10);
            purged = ch.queuePurge(prefix + ".requests.poison").getMessageCount();
        }
        Path result = dir.resolve("coordinator/outbox/purged.result.json");
        long start = System.nanoTime();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        ResultCount count = ResultCount.of(result, TASKS, 1);
        System.out.printf("durable-chaos purge: %d requests purged: %s; purge to completion %.1f s; duplicate replies dropped"
                + " %d; re-drives %d%n", purged, count, (System.nanoTime() - start) / 1e9,
                coordinator.countInLog("duplicate: task"), coordinator.countInLog("re-driven"));
        assertThat(purged).isPositive();
        assertThat(count.status()).isEqualTo("completed");
        assertThat(count.lost()).isZero();
        assertThat(count.duplicated()).isZero();
        assertThat(coordinator.countInLog("re-driven")).isPositive();
    }

    /** Properties of processes on the shared RabbitMQ with queues of their own (added to {@code queues} to delete). */
    static Map<String, String> onSharedRabbit(String prefix, List<String> queues) {
        Map<String, String> common = new HashMap<>(TestBroker.rabbitProperties());
        common.put("taskfarm.broker", "rabbitmq");
        common.put("taskfarm.queue.requests", prefix + ".requests");
        common.put("taskfarm.queue.replies", prefix + ".replies");
        common.put("taskfarm.queue.dead-letters", prefix + ".requests.dlq");
        common.put("taskfarm.exchange.control", prefix + ".control");
        common.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        common.put("taskfarm.http.port", "0");
        queues.addAll(dev.taskfarm.support.TestQueues.of(prefix));
        return common;
    }

    static ObjectNode slowJob(int n, int sleepMs) {
        ObjectNode job = Jobs.shaJob("poison", n, 1);
        job.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", sleepMs));
        return job;
    }

    static void submit(Path inbox, String jobId, ObjectNode job) throws Exception {
        Files.createDirectories(inbox);
        Files.writeString(inbox.resolve("." + jobId + ".json.tmp"), job.toString());
        Files.move(inbox.resolve("." + jobId + ".json.tmp"), inbox.resolve(jobId + ".json"));
    }

    /** Tasks of the job with a result, from the job API; -1 while the API does not answer. */
    static int done(int port, String jobId) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/jobs/" + jobId)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? MAPPER.readTree(r.body()).path("done").asInt() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
