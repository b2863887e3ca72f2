package dev.taskfarm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Opt-in chunking (docs/WIRE.md "Chunked requests"): many tasks per request message, one reply
 * per chunk with per-task outcomes, and still one result per (job, index): correct results, a
 * failing task fails alone, a dead-lettered chunk fails each of its tasks, a duplicate chunk
 * reply is counted once. The farm with taskfarm workers runs chunked jobs end to end; a
 * coordinator-only farm is served by a plain amqp-client worker that speaks the chunk contract.
 */
class ChunkingIT {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static TestFarm farm;
    static TestFarm coordinator;
    static Connection connection;
    static final Set<String> chunkRequests = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.worker.slots", "2")
                .with("taskfarm.publish.chunk-size", "10")
                .with("taskfarm.result.format", "ndjson")
                .start();
        coordinator = TestFarm.onTestBroker()
                .with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "twice,ghost")
                .start();
        connection = coordinator.amqpConnection();
        Channel ch = connection.createChannel();
        for (String compute : new String[] {"twice", "ghost"}) {
            startRawChunkWorker(ch, coordinator.requestsQueue(compute));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
        coordinator.close();
        farm.close();
    }

    /**
     * A plain amqp-client worker for chunked requests: compute "twice" doubles "n" and publishes
     * every chunk reply twice (as after a crash between reply and ack); compute "ghost" rejects
     * the request, so RabbitMQ dead-letters the whole chunk.
     */
    static void startRawChunkWorker(Channel ch, String requests) throws Exception {
        ch.basicQos(5);
        ch.confirmSelect();
        ch.basicConsume(requests, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                    throws java.io.IOException {
                try {
                    Map<String, Object> h = props.getHeaders();
                    chunkRequests.add(props.getCorrelationId());
                    if ("ghost".equals(String.valueOf(h.get("TaskfarmCompute")))) {
                        ch.basicReject(env.getDeliveryTag(), false);
                        return;
                    }
                    ArrayNode outcomes = MAPPER.createArrayNode();
                    for (JsonNode task : MAPPER.readTree(body)) {
                        outcomes.addObject().put("status", "ok").put("result", task.path("n").asInt() * 2);
                    }
                    Map<String, Object> rh = new HashMap<>();
                    rh.put("TaskfarmJobId", h.get("TaskfarmJobId"));
                    rh.put("TaskfarmTaskIndex", h.get("TaskfarmTaskIndex"));
                    rh.put("TaskfarmChunkSize", h.get("TaskfarmChunkSize"));
                    rh.put("TaskfarmStatus", "ok");
                    AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder().correlationId(props.getCorrelationId())
                            .contentType("application/json").deliveryMode(2).headers(rh).build();
                    byte[] bytes = MAPPER.writeValueAsBytes(outcomes);
                    ch.basicPublish("", props.getReplyTo(), reply, bytes);
                    ch.basicPublish("", props.getReplyTo(), reply, bytes);
                    ch.waitForConfirmsOrDie(10_000);
                    ch.basicAck(env.getDeliveryTag(), false);
                } catch (Exception e) {
                    ch.basicNack(env.getDeliveryTag(), false, true);
                }
            }
        });
    }

    @Test
    void aChunkedJobHasEveryIndexOnceWithCorrectResults() throws Exception {
        ObjectNode job = Jobs.shaJob("sha256", 103, 2);
        job.put("chunkSize", 7); // 15 messages, the last one with 5 tasks
        farm.submit("chunked.json", job.toString());

        List<JsonNode> lines = awaitNdjson(farm, "chunked");

        JsonNode summary = lines.get(0);
        assertThat(summary.get("status").asText()).isEqualTo("completed");
        assertThat(summary.get("total").asInt()).isEqualTo(103);
        assertThat(summary.get("succeeded").asInt()).isEqualTo(103);
        assertThat(lines).hasSize(104);
        for (int i = 0; i < 103; i++) {
            JsonNode r = lines.get(i + 1);
            assertThat(r.get("index").asInt()).isEqualTo(i);
            assertThat(r.get("status").asText()).isEqualTo("ok");
            assertThat(r.get("result").asText()).isEqualTo(Jobs.expectedSha(i, 2));
        }
    }

    @Test
    void aFailingTaskInsideAChunkFailsAloneWithItsError() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 25, 1);
        job.put("chunkSize", 5);
        ((ObjectNode) job.get("tasks").get(3)).put("fail", true);
        ((ObjectNode) job.get("tasks").get(12)).put("fail", true);
        farm.submit("flaky-chunks.json", job.toString());

        List<JsonNode> lines = awaitNdjson(farm, "flaky-chunks");

        assertThat(lines.get(0).get("status").asText()).isEqualTo("partial");
        assertThat(lines.get(0).get("failed").asInt()).isEqualTo(2);
        assertThat(lines.get(0).get("succeeded").asInt()).isEqualTo(23);
        assertThat(lines.get(4).get("status").asText()).isEqualTo("error");
        assertThat(lines.get(4).get("error").asText()).contains("task-3 was told to fail");
        assertThat(lines.get(13).get("error").asText()).contains("task-12 was told to fail");
        assertThat(lines.get(5).get("result").asText()).as("the task after it, same chunk").isEqualTo(Jobs.expectedSha(4, 1));
        assertThat(lines.get(3).get("result").asText()).as("the task before it, same chunk").isEqualTo(Jobs.expectedSha(2, 1));
    }

    @Test
    void theDefaultChunkSizeAppliesToNdjsonInput() throws Exception {
        StringBuilder nd = new StringBuilder();
        for (int i = 0; i < 45; i++) {
            nd.append("{\"seed\":\"task-").append(i).append("\",\"rounds\":3}\n");
        }
        farm.submit("lines.ndjson", nd.toString());

        List<JsonNode> lines = awaitNdjson(farm, "lines");

        assertThat(lines.get(0).get("status").asText()).isEqualTo("completed");
        assertThat(lines.get(45).get("index").asInt()).isEqualTo(44);
        assertThat(lines.get(45).get("result").asText()).isEqualTo(Jobs.expectedSha(44, 3));
    }

    @Test
    void badTasksInsideAChunkFailWithTheComputeError() throws Exception {
        // flaky has no validate step: its bad tasks reach the workers (sha256 refuses them at intake)
        farm.submit("unknown.json", "{\"compute\": \"flaky\", \"chunkSize\": 4, \"tasks\": "
                + "[{\"seed\": \"a\"}, {\"seed\": \"b\", \"fail\": true}, {\"seed\": \"c\"}, {\"seed\": \"d\", \"fail\": true},"
                + " {\"seed\": \"e\"}]}");

        List<JsonNode> lines = awaitNdjson(farm, "unknown");

        assertThat(lines.get(0).get("status").asText()).isEqualTo("partial");
        assertThat(lines.get(0).get("failed").asInt()).isEqualTo(2);
        assertThat(lines.get(2).get("error").asText()).contains("task b was told to fail");
        assertThat(lines.get(4).get("error").asText()).contains("task d was told to fail");
        assertThat(lines.get(5).get("status").asText()).isEqualTo("ok");
    }

    @Test
    void aDuplicatedChunkReplyIsCountedOnce() throws Exception {
        StringBuilder tasks = new StringBuilder("{\"compute\": \"twice\", \"chunkSize\": 4, \"tasks\": [");
        for (int i = 0; i < 10; i++) {
            tasks.append(i == 0 ? "" : ",").append("{\"n\": ").append(i).append('}');
        }
        coordinator.submit("twice.json", tasks.append("]}").toString());

        JsonNode result = coordinator.awaitResult("twice", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(10);
        assertThat(result.get("results")).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            assertThat(result.at("/results/" + i + "/result").asInt()).isEqualTo(2 * i);
        }
        assertThat(chunkRequests).contains("twice:0+4", "twice:4+4", "twice:8+2");
    }

    @Test
    void aDeadLetteredChunkFailsEachOfItsTasks() throws Exception {
        coordinator.submit("ghost.json", "{\"compute\": \"ghost\", \"chunkSize\": 3, \"tasks\": "
                + "[{\"n\": 1}, {\"n\": 2}, {\"n\": 3}, {\"n\": 4}]}");

        JsonNode result = coordinator.awaitResult("ghost", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("failed");
        assertThat(result.get("failed").asInt()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            assertThat(result.at("/results/" + i + "/status").asText()).isEqualTo("error");
            assertThat(result.at("/results/" + i + "/error").asText()).contains("dead-lettered by the broker (rejected");
        }
    }

    private static List<JsonNode> awaitNdjson(TestFarm f, String jobId) throws Exception {
        Path file = f.outbox().resolve(jobId + ".result.ndjson");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(file));
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(l -> {
            try {
                return MAPPER.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException("not a JSON line: " + l, e);
            }
        }).toList();
    }
}
