package dev.taskfarm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Metrics;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker written with nothing but the RabbitMQ amqp-client, following docs/WIRE.md, serves jobs
 * of a coordinator-only farm. The same worker misbehaves on purpose (duplicate replies, replies
 * for unknown jobs, a task it never answers) to show the coordinator counts each task once,
 * never counts foreign replies, and ends a job with a missing task as timed_out.
 */
class WireConformanceIT {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static TestFarm farm;
    static Connection connection;
    static final Map<String, String> dumps = new ConcurrentHashMap<>();
    static final Set<String> seenRequests = ConcurrentHashMap.newKeySet();
    static final Map<String, String> lastBodies = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "upper,void,ghost")
                .start();
        connection = farm.amqpConnection();
        // the raw worker serves the external computes, one requests queue each (docs/WIRE.md)
        Channel ch = connection.createChannel();
        for (String compute : new String[] {"upper", "void", "ghost"}) {
            startRawWorker(ch, farm.requestsQueue(compute));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
        farm.close();
        Path out = Path.of("target", "wire-dump.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, dumps.getOrDefault("request", "") + "\n" + dumps.getOrDefault("reply", ""));
    }

    /** The plain amqp-client worker: qos, consume, compute, reply with confirm, then ack. */
    static void startRawWorker(Channel ch, String requests) throws Exception {
        ch.basicQos(10);
        ch.confirmSelect();
        ch.basicConsume(requests, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws java.io.IOException {
                try {
                    Map<String, Object> h = props.getHeaders();
                    String jobId = String.valueOf(h.get("TaskfarmJobId"));
                    int index = ((Number) h.get("TaskfarmTaskIndex")).intValue();
                    JsonNode task = MAPPER.readTree(body);
                    dumps.computeIfAbsent("request", k -> dump("request", env.getRoutingKey(), props, body));
                    seenRequests.add(props.getCorrelationId());
                    requestsByCorrelation.put(props.getCorrelationId(), props);
                    lastBodies.put(props.getCorrelationId(), new String(body, StandardCharsets.UTF_8));
                    String compute = String.valueOf(h.get("TaskfarmCompute"));
                    if ("ghost".equals(compute)) {
                        ch.basicReject(env.getDeliveryTag(), false); // cannot handle it: dead-letter it
                        return;
                    }
                    if ("void".equals(compute)) {
                        ch.basicAck(env.getDeliveryTag(), false); // swallowed: no reply ever comes
                        return;
                    }
                    if (MISBEHAVING.contains(jobId)) {
                        misbehave(ch, jobId, index, props, body);
                        ch.waitForConfirmsOrDie(10_000);
                        ch.basicAck(env.getDeliveryTag(), false);
                        return;
                    }
                    if ("skips-seven".equals(jobId) && index == 7) {
                        ch.basicAck(env.getDeliveryTag(), false); // never answered: the job must time out
                        return;
                    }
                    if ("batches".equals(jobId)) {
                        batch(ch, env.getDeliveryTag(), props, task);
                        return;
                    }
                    Map<String, Object> rh = new HashMap<>();
                    rh.put("TaskfarmJobId", jobId);
                    rh.put("TaskfarmTaskIndex", index);
                    rh.put("TaskfarmStatus", "ok");
                    if (h.containsKey("TaskfarmChunkSize")) {
                        rh.put("TaskfarmChunkSize", h.get("TaskfarmChunkSize"));
                    }
                    AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
                            .correlationId(props.getCorrelationId())
                            .contentType("application/json")
                            .deliveryMode(2)
                            .headers(rh)
                            .build();
                    byte[] result;
                    if (h.containsKey("TaskfarmChunkSize")) {
                        com.fasterxml.jackson.databind.node.ArrayNode outcomes = MAPPER.createArrayNode();
                        task.forEach(t -> outcomes.addObject().put("status", "ok").putObject("result")
                                .put("upper", t.path("word").asText().toUpperCase()));
                        result = MAPPER.writeValueAsBytes(outcomes);
                    } else {
                        result = MAPPER.writeValueAsBytes(MAPPER.createObjectNode()
                                .put("upper", task.path("word").asText().toUpperCase()));
                    }
                    dumps.computeIfAbsent("reply", k -> dump("reply", props.getReplyTo(), reply, result));
                    ch.basicPublish("", props.getReplyTo(), reply, result);
                    if ("dupes".equals(jobId)) {
                        ch.basicPublish("", props.getReplyTo(), reply, result); // as after a crash before the ack
                        Map<String, Object> foreign = new HashMap<>(rh);
                        foreign.put("TaskfarmJobId", "no-such-job");
                        ch.basicPublish("", props.getReplyTo(), new AMQP.BasicProperties.Builder()
                                .correlationId("no-such-job:" + index).headers(foreign).build(), result);
                    }
                    ch.waitForConfirmsOrDie(10_000);
                    ch.basicAck(env.getDeliveryTag(), false);
                } catch (Exception e) {
                    ch.basicNack(env.getDeliveryTag(), false, true);
                }
            }
        });
    }

    /** Job "batches": answered five replies to a reply batch, written from docs/WIRE.md alone. */
    static final java.util.List<Object[]> pendingBatch = new java.util.ArrayList<>();

    static synchronized void batch(Channel ch, long tag, AMQP.BasicProperties props, JsonNode task) throws Exception {
        pendingBatch.add(new Object[] {tag, props, task});
        if (pendingBatch.size() < 5) {
            return;
        }
        com.fasterxml.jackson.databind.node.ArrayNode replies = MAPPER.createArrayNode();
        for (Object[] p : pendingBatch) {
            AMQP.BasicProperties rp = (AMQP.BasicProperties) p[1];
            int index = ((Number) rp.getHeaders().get("TaskfarmTaskIndex")).intValue();
            com.fasterxml.jackson.databind.node.ObjectNode r = replies.addObject();
            r.put("correlationId", rp.getCorrelationId());
            com.fasterxml.jackson.databind.node.ObjectNode h = r.putObject("headers");
            h.put("TaskfarmJobId", "batches").put("TaskfarmTaskIndex", index);
            if (index == 13) {
                h.put("TaskfarmStatus", "error").put("TaskfarmError", "thirteen");
                r.put("body", "{\"error\":\"thirteen\"}");
            } else {
                h.put("TaskfarmStatus", "ok");
                r.put("body", MAPPER.createObjectNode().put("upper", ((JsonNode) p[2]).path("word").asText().toUpperCase())
                        .toString());
            }
        }
        AMQP.BasicProperties first = (AMQP.BasicProperties) pendingBatch.get(0)[1];
        ch.basicPublish("", first.getReplyTo(), new AMQP.BasicProperties.Builder().contentType("application/json")
                .deliveryMode(2).headers(Map.of("TaskfarmReplies", pendingBatch.size(), "TaskfarmWire", 1)).build(),
                MAPPER.writeValueAsBytes(replies));
        ch.waitForConfirmsOrDie(10_000);
        for (Object[] p : pendingBatch) {
            ch.basicAck((Long) p[0], false);
        }
        pendingBatch.clear();
    }

    static final Set<String> MISBEHAVING = Set.of("malformed", "bad-chunks");
    static final Map<String, AMQP.BasicProperties> requestsByCorrelation = new ConcurrentHashMap<>();
    static final String LONG_ERROR = "x".repeat(1500);

    /**
     * Replies the contract forbids, one kind per task (job "malformed") or per chunk (job
     * "bad-chunks"); each must end as a failed task with a reason, never as a dropped reply or an
     * invalid result.
     */
    static void misbehave(Channel ch, String jobId, int index, AMQP.BasicProperties props, byte[] body) throws Exception {
        Map<String, Object> h = new HashMap<>();
        h.put("TaskfarmJobId", jobId);
        h.put("TaskfarmTaskIndex", index);
        h.put("TaskfarmStatus", "ok");
        String correlationId = props.getCorrelationId();
        String reply = "{\"ok\":" + index + "}";
        if ("malformed".equals(jobId)) {
            switch (index) {
                case 0 -> h.put("TaskfarmTaskIndex", 9); // headers and correlation id disagree
                case 1 -> reply = "5e77db951dd955269b84d9fe80954f4e"; // a bare hex digest: not JSON
                case 2 -> {
                    h.remove("TaskfarmJobId");
                    h.remove("TaskfarmTaskIndex");
                }
                case 3 -> h.put("TaskfarmStatus", "OK");
                case 4 -> {
                    h.put("TaskfarmStatus", "error");
                    reply = "{\"error\":\"" + LONG_ERROR + "\"}"; // reason only in the body, too long
                }
                case 5 -> {
                    h.put("TaskfarmStatus", "error");
                    h.put("TaskfarmError", "told by the header");
                    reply = "";
                }
                case 6 -> h.put("TaskfarmWire", 2);
                case 7 -> correlationId = null;
                default -> {
                }
            }
        } else {
            // bad-chunks: 10 tasks in chunks of 4 -> 0+4, 4+4, 8+2
            int size = ((Number) props.getHeaders().get("TaskfarmChunkSize")).intValue();
            StringBuilder outcomes = new StringBuilder("[");
            for (int i = 0; i < size; i++) {
                outcomes.append(i == 0 ? "" : ",").append("{\"status\":\"ok\",\"result\":").append(index + i).append('}');
            }
            reply = outcomes.append(']').toString();
            switch (index) {
                case 0 -> {
                } // no TaskfarmChunkSize on the reply
                case 4 -> h.put("TaskfarmChunkSize", 3); // a wrong chunk size
                default -> {
                    h.put("TaskfarmChunkSize", size);
                    reply = "[{\"status\":\"ok\"},{\"status\":\"ok\",\"result\":9}]"; // outcome 0 has no result
                }
            }
        }
        ch.basicPublish("", props.getReplyTo(), new AMQP.BasicProperties.Builder().correlationId(correlationId)
                .contentType("application/json").deliveryMode(2).headers(h).build(), reply.getBytes(StandardCharsets.UTF_8));
    }

    static String dump(String kind, String routingKey, AMQP.BasicProperties p, byte[] body) {
        return kind + " (exchange \"\", routing key \"" + routingKey + "\")\n"
                + "  content_type:   " + p.getContentType() + "\n"
                + "  delivery_mode:  " + p.getDeliveryMode() + "\n"
                + "  correlation_id: " + p.getCorrelationId() + "\n"
                + "  reply_to:       " + p.getReplyTo() + "\n"
                + "  headers:        " + new java.util.TreeMap<>(p.getHeaders()) + "\n"
                + "  body:           " + new String(body, StandardCharsets.UTF_8) + "\n";
    }

    private static String words(int n) {
        StringBuilder sb = new StringBuilder("{\"compute\": \"upper\", \"tasks\": [");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"word\": \"w").append(i).append("\"}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void aPlainAmqpWorkerServesAJob() throws Exception {
        farm.submit("plain.json", words(50));

        JsonNode result = farm.awaitResult("plain", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        for (int i = 0; i < 50; i++) {
            assertThat(result.at("/results/" + i + "/result/upper").asText()).isEqualTo("W" + i);
        }
        assertThat(seenRequests).contains("plain:0", "plain:49");
        String request = dumps.get("request");
        assertThat(request).contains("content_type:   application/json", "delivery_mode:  2",
                "reply_to:       " + farm.repliesQueue(), "TaskfarmCompute=upper", "TaskfarmTaskCount=");
    }

    /** docs/WIRE.md "Reply batches": the coordinator asks for them, and reads each reply of one as if it came alone. */
    @Test
    void aWorkerMayAnswerInReplyBatches() throws Exception {
        farm.submit("batches.json", words(20));

        JsonNode result = farm.awaitResult("batches", Duration.ofSeconds(60));

        assertThat(requestsByCorrelation.get("batches:0").getHeaders()).containsEntry("TaskfarmReplyBatch", 100);
        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.get("succeeded").asInt()).isEqualTo(19);
        for (int i = 0; i < 20; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            if (i != 13) {
                assertThat(result.at("/results/" + i + "/result/upper").asText()).isEqualTo("W" + i);
            }
        }
        assertThat(result.at("/results/13/error").asText()).isEqualTo("thirteen");
    }

    @Test
    void duplicateAndForeignRepliesAreNotCounted() throws Exception {
        double unknownBefore = dropped("unknown-job");
        double repeatedBefore = dropped("duplicate") + dropped("finished-job");
        farm.submit("dupes.json", words(30));

        JsonNode result = farm.awaitResult("dupes", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(30);
        assertThat(result.get("results")).hasSize(30);
        for (int i = 0; i < 30; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
        }
        // the gate saw and dropped every foreign reply and every second reply (a second reply that
        // arrives after the job ended is dropped as for a finished job)
        await().untilAsserted(() -> {
            assertThat(dropped("unknown-job") - unknownBefore).isEqualTo(30.0);
            assertThat(dropped("duplicate") + dropped("finished-job") - repeatedBefore).isEqualTo(30.0);
        });
    }

    @Test
    void aTaskThatNeverAnswersEndsTheJobTimedOutWithItsIndexMissing() throws Exception {
        farm.submit("skips-seven.json", words(10).replace("{\"compute\"", "{\"timeout\": \"PT3S\", \"compute\""));

        JsonNode result = farm.awaitResult("skips-seven", Duration.ofSeconds(30));

        assertThat(result.get("status").asText()).isEqualTo("timed_out");
        assertThat(result.get("succeeded").asInt()).isEqualTo(9);
        assertThat(result.get("missing").asInt()).isEqualTo(1);
        assertThat(result.at("/results/7/status").asText()).isEqualTo("missing");
        assertThat(result.at("/results/8/result/upper").asText()).isEqualTo("W8");
    }

    @Test
    void aJobWithNoReplyAtAllEndsTimedOutInsteadOfHanging() throws Exception {
        farm.submit("silent.json", "{\"timeout\": \"PT2S\", \"compute\": \"void\", \"tasks\": [{}, {}, {}]}");

        JsonNode result = farm.awaitResult("silent", Duration.ofSeconds(30));

        assertThat(result.get("status").asText()).isEqualTo("timed_out");
        assertThat(result.get("missing").asInt()).isEqualTo(3);
        assertThat(result.at("/results/2/status").asText()).isEqualTo("missing");
    }

    @Test
    void malformedRepliesEndAsFailedTasksWithReasonsAndTheResultsStayValidJson() throws Exception {
        double malformedBefore = Metrics.sum(farm, "taskfarm_replies_malformed_total");
        farm.submit("malformed.json", words(10).replace("{\"compute\"", "{\"timeout\": \"PT20S\", \"compute\""));

        JsonNode result = farm.awaitResult("malformed", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.get("missing").asInt()).isZero();
        assertThat(result.get("failed").asInt()).isEqualTo(8);
        assertThat(error(result, 0)).contains("disagree").contains("correlation_id malformed:0");
        assertThat(error(result, 1)).contains("not JSON");
        assertThat(error(result, 2)).contains("TaskfarmJobId");
        assertThat(error(result, 3)).contains("TaskfarmStatus").contains("OK");
        assertThat(error(result, 4)).hasSize(1000).startsWith("xxxx");
        assertThat(error(result, 5)).isEqualTo("told by the header");
        assertThat(error(result, 6)).contains("TaskfarmWire");
        assertThat(error(result, 7)).contains("correlation_id");
        assertThat(result.at("/results/8/result/ok").asInt()).isEqualTo(8);
        assertThat(result.at("/results/9/result/ok").asInt()).isEqualTo(9);
        JsonNode served = Http.parse(new Http(farm.baseUri()).get("/jobs/malformed/results").body());
        assertThat(served.toString()).contains("\"index\":9");
        // 0, 1, 2, 3, 6 and 7 break the contract (4 and 5 are valid error replies)
        await().untilAsserted(() -> assertThat(Metrics.sum(farm, "taskfarm_replies_malformed_total") - malformedBefore)
                .isEqualTo(6.0));
    }

    @Test
    void malformedChunkRepliesFailEachTaskTheyCannotAnswer() throws Exception {
        farm.submit("bad-chunks.json", words(10).replace("{\"compute\"", "{\"timeout\": \"PT20S\", \"chunkSize\": 4, \"compute\""));

        JsonNode result = farm.awaitResult("bad-chunks", Duration.ofSeconds(60));

        assertThat(result.get("missing").asInt()).isZero();
        assertThat(result.get("failed").asInt()).isEqualTo(9);
        for (int i = 0; i < 4; i++) {
            assertThat(error(result, i)).contains("TaskfarmChunkSize").contains("missing");
        }
        for (int i = 4; i < 8; i++) {
            assertThat(error(result, i)).contains("TaskfarmChunkSize=3");
        }
        assertThat(error(result, 8)).contains("outcome 0");
        assertThat(result.at("/results/9/result").asInt()).isEqualTo(9);
    }

    @Test
    void aChunkOfOneTaskIsSentAsAPlainRequest() throws Exception {
        farm.submit("chunk-one.json", words(9).replace("{\"compute\"", "{\"chunkSize\": 4, \"compute\""));

        JsonNode result = farm.awaitResult("chunk-one", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.at("/results/8/result/upper").asText()).isEqualTo("W8");
        assertThat(seenRequests).contains("chunk-one:0+4", "chunk-one:4+4", "chunk-one:8");
        AMQP.BasicProperties last = requestsByCorrelation.get("chunk-one:8");
        assertThat(last.getHeaders()).doesNotContainKey("TaskfarmChunkSize").containsEntry("TaskfarmTaskIndex", 8);
        assertThat(lastBodies.get("chunk-one:8")).isEqualTo("{\"word\":\"w8\"}");
    }

    @Test
    void requestsCarryTheWireVersion() throws Exception {
        farm.submit("versioned.json", words(3));

        farm.awaitResult("versioned", Duration.ofSeconds(60));

        assertThat(requestsByCorrelation.get("versioned:2").getHeaders()).containsEntry("TaskfarmWire", 1);
    }

    private static String error(JsonNode result, int index) {
        assertThat(result.at("/results/" + index + "/status").asText()).as("task " + index).isEqualTo("error");
        return result.at("/results/" + index + "/error").asText();
    }

    @Test
    void aRequestTheWorkerRejectsIsDeadLetteredAndRecordedAsFailed() throws Exception {
        farm.submit("rejected.json", "{\"compute\": \"ghost\", \"tasks\": [{\"word\": \"a\"}, {\"word\": \"b\"}]}");

        JsonNode result = farm.awaitResult("rejected", Duration.ofSeconds(30));

        assertThat(result.get("status").asText()).isEqualTo("failed");
        assertThat(result.get("failed").asInt()).isEqualTo(2);
        assertThat(result.at("/results/0/status").asText()).isEqualTo("error");
        assertThat(result.at("/results/1/error").asText()).contains("dead-lettered by the broker (rejected");
    }

    /** Replies the coordinator dropped for this reason (taskfarm_replies_dropped_total). */
    static double dropped(String reason) throws Exception {
        return Metrics.series(farm, "taskfarm_replies_dropped_total{reason=\"" + reason + "\"}");
    }
}
