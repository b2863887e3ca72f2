package dev.taskfarm;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.Metrics;
import dev.taskfarm.support.SampleWorker;
import dev.taskfarm.support.SampleWorker.Kind;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample workers of examples/workers/ (Python on pika, Go on streadway/amqp), and no Java
 * worker, serve a coordinator-only farm on the real RabbitMQ: a 2000-task job through a SIGKILL of
 * a worker, failing tasks, duplicate replies, a chunked job, a cancel and the loss of
 * their broker connections, each with every index recorded once and the reasons of failures
 * recorded. Fails (never skips) when python3-pika or go is missing.
 */
class SampleWorkersIT {

    static TestFarm farm;
    static Http http;
    static SampleWorker python;
    static SampleWorker go;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        SampleWorker.requirePython();
        SampleWorker.buildGo();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.role", "coordinator")
                // sha256 too: only the sample workers serve it here, so their own checks decide
                // (the coordinator's intake check of its built-in sha256 is not theirs)
                .with("taskfarm.computes.external", "nobody,sha256")
                .start();
        http = new Http(farm.baseUri());
        python = SampleWorker.start(Kind.PYTHON, farm);
        go = SampleWorker.start(Kind.GO, farm);
        awaitConsumers(farm, 2);
    }

    @AfterAll
    static void stop() throws Exception {
        for (SampleWorker w : new SampleWorker[] {python, go}) {
            if (w != null && w.isAlive()) {
                assertThat(w.terminate()).as(w + " exit code after SIGTERM").isZero();
                assertThat(w.logText()).as(w + " log").contains("stopped after");
            }
        }
        if (farm != null) {
            farm.close();
        }
    }

    @Test
    void aBigJobHasEveryIndexOnceThoughAWorkerIsKilledMidJob() throws Exception {
        int rounds = 1000;
        submit("big", Jobs.shaJob("sha256", 2000, rounds));

        await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofMinutes(2)).until(() -> done("big") >= 300);
        go.kill();
        assertThat(done("big")).as("tasks done when the Go worker was killed").isLessThan(2000);
        go.restart();

        JsonNode result = farm.awaitResult("big", Duration.ofMinutes(3));
        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(2000);
        assertEveryIndexOnce(result, 2000);
        for (int i = 0; i < 2000; i++) {
            assertThat(result.at("/results/" + i + "/result").asText()).as("task " + i).isEqualTo(Jobs.expectedSha(i, rounds));
        }
        awaitConsumers(farm, 2);
    }

    @Test
    void failingTasksGetTheirError() throws Exception {
        ObjectNode job = Jobs.shaJob("sha256", 20, 1);
        ((ObjectNode) job.get("tasks").get(3)).remove("seed");
        ((ObjectNode) job.get("tasks").get(11)).put("rounds", 0);
        submit("failing", job);

        JsonNode failing = farm.awaitResult("failing", Duration.ofMinutes(1));
        assertThat(failing.get("status").asText()).isEqualTo("partial");
        assertThat(failing.get("failed").asInt()).isEqualTo(2);
        assertEveryIndexOnce(failing, 20);
        assertThat(failing.at("/results/3/error").asText()).isEqualTo("sha256 needs a text field 'seed'");
        assertThat(failing.at("/results/11/error").asText()).isEqualTo("sha256 needs 'rounds' >= 1, got 0");
        assertThat(failing.at("/results/12/result").asText()).isEqualTo(Jobs.expectedSha(12, 1));
    }

    @Test
    void duplicateRepliesAreCountedOnce() throws Exception {
        double before = repeatedReplies();
        try (SampleWorker twice = SampleWorker.start(Kind.PYTHON, farm, "TASKFARM_REPLY_TWICE", "true")) {
            awaitConsumers(farm, 3);
            submit("dupes", Jobs.shaJob("sha256", 300, 200));

            JsonNode result = farm.awaitResult("dupes", Duration.ofMinutes(1));
            assertThat(result.get("status").asText()).isEqualTo("completed");
            assertEveryIndexOnce(result, 300);
            assertThat(result.at("/results/299/result").asText()).isEqualTo(Jobs.expectedSha(299, 200));

            assertThat(twice.terminate()).isZero();
            long served = servedBy(twice);
            assertThat(served).as("replies of the worker that sends each twice").isPositive();
            await().untilAsserted(() -> assertThat(repeatedReplies() - before).isGreaterThanOrEqualTo(served));
        }
    }

    @Test
    void aChunkedJobIsAnsweredChunkByChunkWithAFailingTaskFailingAlone() throws Exception {
        ObjectNode job = Jobs.shaJob("sha256", 99, 2); // 14 chunks of 7 and a last message of one task
        job.put("chunkSize", 7);
        ((ObjectNode) job.get("tasks").get(10)).put("seed", 10);
        submit("chunked", job);

        JsonNode result = farm.awaitResult("chunked", Duration.ofMinutes(1));

        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.get("failed").asInt()).isEqualTo(1);
        assertEveryIndexOnce(result, 99);
        assertThat(result.at("/results/10/error").asText()).isEqualTo("sha256 needs a text field 'seed'");
        for (int i : new int[] {0, 9, 11, 13, 97, 98}) {
            assertThat(result.at("/results/" + i + "/result").asText()).as("task " + i).isEqualTo(Jobs.expectedSha(i, 2));
        }
    }

    @Test
    void aCancelledJobsPendingTasksAreSkippedByBothWorkers() throws Exception {
        double lateBefore = dropped("finished-job");
        submit("cancel-me", Jobs.shaJob("sha256", 2000, 20000));
        await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofMinutes(1)).until(() -> done("cancel-me") >= 20);

        assertThat(http.delete("/jobs/cancel-me").statusCode()).isEqualTo(200);
        int doneAtCancel = done("cancel-me");

        JsonNode result = farm.awaitResult("cancel-me", Duration.ofMinutes(1));
        assertThat(result.get("status").asText()).isEqualTo("cancelled");
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            assertThat(python.logText()).contains("job cancel-me cancelled");
            assertThat(go.logText()).contains("job cancel-me cancelled");
        });
        await().atMost(Duration.ofMinutes(1)).until(() -> readyRequests(farm) == 0);
        // replies computed after the cancel are dropped as late; had the workers ignored the
        // cancel they would have computed every remaining task
        double late = dropped("finished-job") - lateBefore;
        assertThat(doneAtCancel + late).as("tasks computed of 2000").isLessThan(500);
    }

    @Test
    void bothWorkersReconnectAfterTheBrokerClosedTheirConnections() throws Exception {
        List<String> connections = new ArrayList<>(connectionPids(python.connectionName()));
        connections.addAll(connectionPids(go.connectionName()));
        submit("reconnect", Jobs.shaJob("sha256", 2000, 5000));
        await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofMinutes(1)).until(() -> done("reconnect") >= 100);

        List<Process> closing = new ArrayList<>();
        for (String pid : connections) {
            closing.add(new ProcessBuilder("rabbitmqctl", "-q", "close_connection", pid, "test closes a sample worker")
                    .redirectErrorStream(true).start());
        }
        for (Process p : closing) {
            assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        }
        assertThat(done("reconnect")).as("tasks done when the connections were closed").isLessThan(2000);

        JsonNode result = farm.awaitResult("reconnect", Duration.ofMinutes(3));
        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertEveryIndexOnce(result, 2000);
        assertThat(result.at("/results/1999/result").asText()).isEqualTo(Jobs.expectedSha(1999, 5000));
        assertThat(python.logText()).contains("broker connection lost");
        assertThat(go.logText()).contains("broker connection lost");
        awaitConsumers(farm, 2);
    }

    @Test
    void aReplyWhoseReplyToQueueIsMissingIsNotLostButWaitsForTheQueue() throws Exception {
        String missing = "it-missing-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = farm.amqpConnection(); Channel ch = c.createChannel()) {
            ch.confirmSelect();
            java.util.Map<String, Object> h = new java.util.HashMap<>();
            h.put("TaskfarmJobId", "orphan");
            h.put("TaskfarmTaskIndex", 0);
            h.put("TaskfarmTaskCount", 1);
            h.put("TaskfarmCompute", "sha256");
            h.put("TaskfarmWire", 1);
            ch.basicPublish("", farm.requestsQueue(), new com.rabbitmq.client.AMQP.BasicProperties.Builder()
                    .correlationId("orphan:0").replyTo(missing).deliveryMode(2).contentType("application/json")
                    .headers(h).build(), "{\"seed\":\"task-0\",\"rounds\":1}".getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(60_000);
            // the worker that took it saw its reply returned and gave the request back
            await().atMost(Duration.ofMinutes(1)).until(() -> python.countInLog("orphan:0 requeued")
                    + go.countInLog("orphan:0 returned") > 0);

            ch.queueDeclare(missing, false, false, false, null);
            try {
                await().atMost(Duration.ofMinutes(1)).until(() -> ch.messageCount(missing) > 0);
                com.rabbitmq.client.GetResponse reply = ch.basicGet(missing, true);
                assertThat(reply.getProps().getCorrelationId()).isEqualTo("orphan:0");
                assertThat(new String(reply.getBody(), StandardCharsets.UTF_8)).isEqualTo("\"" + Jobs.expectedSha(0, 1) + "\"");
            } finally {
                ch.queueDelete(missing);
            }
        }
    }

    @Test
    void eachWorkerServesItsOwnComputeAndStopsGracefully() throws Exception {
        try (TestFarm own = TestFarm.onTestBroker().with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "wordcount,collatz").start()) {
            JsonNode words = serveAlone(Kind.PYTHON, own, "words",
                    "{\"compute\": \"wordcount\", \"tasks\": [{\"text\": \"to be or not to be\"}, {\"text\": 7}]}");
            assertThat(words.at("/results/0/result/words").asInt()).isEqualTo(6);
            assertThat(words.at("/results/0/result/distinct").asInt()).isEqualTo(4);
            assertThat(words.at("/results/1/error").asText()).isEqualTo("wordcount needs a text field 'text'");

            JsonNode collatz = serveAlone(Kind.GO, own, "collatz",
                    "{\"compute\": \"collatz\", \"tasks\": [{\"n\": 27}, {\"n\": 0}]}");
            assertThat(collatz.at("/results/0/result/steps").asInt()).isEqualTo(111);
            assertThat(collatz.at("/results/0/result/peak").asInt()).isEqualTo(9232);
            assertThat(collatz.at("/results/1/error").asText()).isEqualTo("collatz needs a whole number 'n' >= 1");
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    /** One worker alone serves a job; then SIGTERM: it exits 0 after a reply per task. */
    static JsonNode serveAlone(Kind kind, TestFarm f, String id, String job) throws Exception {
        SampleWorker worker = SampleWorker.start(kind, f);
        f.submit(id + ".json", job);
        JsonNode result = f.awaitResult(id, Duration.ofMinutes(1));
        assertThat(worker.terminate()).as(worker + " exit code after SIGTERM").isZero();
        assertThat(servedBy(worker)).isEqualTo(result.get("total").asLong());
        return result;
    }

    static void submit(String id, ObjectNode job) throws Exception {
        var r = http.postJson("/jobs?id=" + id, job.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    static int done(String id) throws Exception {
        return http.json("/jobs/" + id).path("done").asInt();
    }

    static void assertEveryIndexOnce(JsonNode result, int total) {
        assertThat(result.get("total").asInt()).isEqualTo(total);
        assertThat(result.get("missing").asInt()).isZero();
        JsonNode results = result.get("results");
        assertThat(results).hasSize(total);
        for (int i = 0; i < total; i++) {
            assertThat(results.get(i).get("index").asInt()).isEqualTo(i);
        }
    }

    static long servedBy(SampleWorker w) throws Exception {
        String line = w.logText().lines().filter(l -> l.contains("stopped after")).reduce((a, b) -> b).orElseThrow();
        return Long.parseLong(line.replaceAll(".*stopped after (\\d+) replies.*", "$1"));
    }

    static double repeatedReplies() throws Exception {
        return dropped("duplicate") + dropped("finished-job");
    }

    static void awaitConsumers(TestFarm f, int n) {
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            try (Connection c = f.amqpConnection(); Channel ch = c.createChannel()) {
                return ch.queueDeclarePassive(f.requestsQueue()).getConsumerCount() == n;
            }
        });
    }

    static long readyRequests(TestFarm f) throws Exception {
        try (Connection c = f.amqpConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(f.requestsQueue()).getMessageCount();
        }
    }

    /** The broker's pids of the connections with this client-provided name (ours only). */
    static List<String> connectionPids(String connectionName) {
        List<String> pids = new ArrayList<>();
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            pids.clear();
            for (String line : rabbitmqctl("list_connections", "pid", "client_properties").lines().toList()) {
                if (line.contains("{\"connection_name\",\"" + connectionName + "\"}")) {
                    pids.add(line.substring(0, line.indexOf('\t')));
                }
            }
            return !pids.isEmpty();
        });
        return pids;
    }

    static String rabbitmqctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rabbitmqctl", "-q"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("rabbitmqctl " + String.join(" ", args) + ": " + out).isZero();
        return out;
    }

    /** Replies the coordinator dropped for this reason (taskfarm_replies_dropped_total). */
    static double dropped(String reason) throws Exception {
        return Metrics.series(farm, "taskfarm_replies_dropped_total{reason=\"" + reason + "\"}");
    }
}
