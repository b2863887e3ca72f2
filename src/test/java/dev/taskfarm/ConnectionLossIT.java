package dev.taskfarm;

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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.Rabbitmqctl;
import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The reconnect wedge (issue 12 item 2): the broker closes the coordinator's connection three
 * times and then a worker's three times (`rabbitmqctl close_connection`, the farm's own
 * connections only, found by their unique connection name) while a 10,000-task job runs. The job
 * must complete with every index exactly once and right, the replies queue must drain to 0, no
 * process may log {@code PRECONDITION_FAILED} (an ack of a delivery tag on a channel that never
 * delivered it), and a job submitted afterwards must complete.
 */
class ConnectionLossIT {

    static final int TASKS = 10_000;
    static final int CLOSES = 3;
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final String id = "conn-" + UUID.randomUUID().toString().substring(0, 8);
    final List<FarmProcess> processes = new ArrayList<>();
    Path dir;

    @Test
    void connectionsClosedByTheBrokerMidJobLoseNothingAndWedgeNothing() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        dir = Files.createDirectories(Path.of("target", "connection-loss", id)).toAbsolutePath();
        int port = freePort();
        Map<String, String> common = new HashMap<>(TestBroker.rabbitProperties());
        common.put("taskfarm.broker", "rabbitmq");
        common.put("taskfarm.queue.requests", id + ".requests");
        common.put("taskfarm.queue.replies", id + ".replies");
        common.put("taskfarm.queue.dead-letters", id + ".requests.dlq");
        common.put("taskfarm.exchange.control", id + ".control");
        common.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        common.put("taskfarm.retry.delay-ms", "10");

        Map<String, String> c = new HashMap<>(common);
        c.put("taskfarm.role", "coordinator");
        c.put("taskfarm.instance-id", id + "-coordinator");
        c.put("taskfarm.http.port", String.valueOf(port));
        FarmProcess coordinator = process("coordinator", c);
        Map<String, String> w = new HashMap<>(common);
        w.put("taskfarm.role", "worker");
        w.put("taskfarm.instance-id", id + "-worker");
        w.put("taskfarm.http.port", "0");
        w.put("taskfarm.worker.slots", "8");
        w.put("taskfarm.worker.lookahead", "20");
        FarmProcess worker = process("worker", w);
        for (FarmProcess p : processes) {
            p.awaitStarted(Duration.ofSeconds(90));
        }

        ObjectNode job = Jobs.shaJob("flaky", TASKS, 1);
        job.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 80));
        submit("wedge", job);

        // three closes of the coordinator's connections, then three of the worker's, each once
        // the job has made progress since the previous close (and so after the reconnect)
        int closes = 0;
        for (String victim : List.of(id + "-coordinator", id + "-worker")) {
            for (int i = 0; i < CLOSES; i++) {
                int before = done(port, "wedge");
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                        .until(() -> done(port, "wedge") >= before + 300 && Rabbitmqctl.connections(victim).size() > 0);
                List<String> pids = Rabbitmqctl.connections(victim);
                for (String pid : pids) {
                    Rabbitmqctl.run("close_connection", pid, "test closes " + victim);
                }
                closes += pids.size();
            }
        }
        assertThat(done(port, "wedge")).as("the job was still running after the last close").isLessThan(TASKS);

        Path result = dir.resolve("coordinator/outbox/wedge.result.json");
        try {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(result));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no result 5 minutes after the last close; the job's status: " + status(port, "wedge"), e);
        }
        JsonNode r = MAPPER.readTree(result.toFile());
        int[] seen = new int[TASKS];
        int wrong = 0;
        for (JsonNode t : r.get("results")) {
            int i = t.get("index").asInt();
            seen[i]++;
            if (!Jobs.expectedSha(i, 1).equals(t.path("result").asText())) {
                wrong++;
            }
        }
        int lost = 0;
        int duplicated = 0;
        for (int n : seen) {
            lost += n == 0 ? 1 : 0;
            duplicated += Math.max(0, n - 1);
        }
        long dropped = coordinator.countInLog("Dropped reply");
        System.out.printf("ConnectionLossIT: %d connections closed; attempted %d, recorded %d, lost %d, duplicated %d,"
                + " wrong %d; duplicate replies dropped by the reply gate %d%n", closes, TASKS, r.get("results").size(),
                lost, duplicated, wrong, dropped);
        assertThat(r.get("status").asText()).isEqualTo("completed");
        assertThat(lost).as("lost").isZero();
        assertThat(duplicated).as("duplicated").isZero();
        assertThat(wrong).as("wrong results").isZero();
        assertThat(r.get("succeeded").asInt()).isEqualTo(TASKS);

        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> Rabbitmqctl.messages(id + ".replies") == 0);

        submit("after", Jobs.shaJob("sha256", 50, 1));
        Path after = dir.resolve("coordinator/outbox/after.result.json");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(after));
        JsonNode a = MAPPER.readTree(after.toFile());
        assertThat(a.get("status").asText()).isEqualTo("completed");
        assertThat(a.get("succeeded").asInt()).isEqualTo(50);

        for (FarmProcess p : processes) {
            assertThat(p.countInLog("PRECONDITION_FAILED")).as(p.log() + " has no stale-channel acks").isZero();
        }
    }

    private FarmProcess process(String name, Map<String, String> props) throws Exception {
        FarmProcess p = new FarmProcess(name, dir.resolve(name), props).start();
        processes.add(p);
        return p;
    }

    private void submit(String jobId, ObjectNode job) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("coordinator/inbox"));
        Files.writeString(inbox.resolve("." + jobId + ".json.tmp"), job.toString());
        Files.move(inbox.resolve("." + jobId + ".json.tmp"), inbox.resolve(jobId + ".json"));
    }

    private static int done(int port, String jobId) throws Exception {
        String status = status(port, jobId);
        return status == null ? 0 : MAPPER.readTree(status).path("done").asInt();
    }

    /** The job's status document, or null when the coordinator does not answer 200 or 202. */
    private static String status(int port, String jobId) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs/" + jobId))
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 || r.statusCode() == 202 ? r.body() : null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (FarmProcess p : processes) {
            p.stop();
        }
        try (Connection conn = TestBroker.connectionFactory().newConnection(); Channel ch = conn.createChannel()) {
            for (String q : dev.taskfarm.support.TestQueues.of(id)) {
                ch.queueDelete(q);
            }
            ch.exchangeDelete(id + ".control");
        }
    }
}
