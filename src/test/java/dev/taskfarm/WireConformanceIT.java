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

import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

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

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "upper,void,ghost")
                .start();
        connection = farm.amqpConnection();
        startRawWorker(connection.createChannel(), farm.requestsQueue());
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
                    String compute = String.valueOf(h.get("TaskfarmCompute"));
                    if ("ghost".equals(compute)) {
                        ch.basicReject(env.getDeliveryTag(), false); // cannot handle it: dead-letter it
                        return;
                    }
                    if ("void".equals(compute)) {
                        ch.basicAck(env.getDeliveryTag(), false); // swallowed: no reply ever comes
                        return;
                    }
                    if ("skips-seven".equals(jobId) && index == 7) {
                        ch.basicAck(env.getDeliveryTag(), false); // never answered: the job must time out
                        return;
                    }
                    Map<String, Object> rh = new HashMap<>();
                    rh.put("TaskfarmJobId", jobId);
                    rh.put("TaskfarmTaskIndex", index);
                    rh.put("TaskfarmStatus", "ok");
                    AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
                            .correlationId(props.getCorrelationId())
                            .contentType("application/json")
                            .deliveryMode(2)
                            .headers(rh)
                            .build();
                    byte[] result = MAPPER.writeValueAsBytes(MAPPER.createObjectNode()
                            .put("upper", task.path("word").asText().toUpperCase()));
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

    @Test
    void duplicateAndForeignRepliesAreNotCounted() throws Exception {
        farm.submit("dupes.json", words(30));

        JsonNode result = farm.awaitResult("dupes", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(30);
        assertThat(result.get("results")).hasSize(30);
        for (int i = 0; i < 30; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
        }
        assertThat(farm.outbox().resolve("no-such-job.result.json")).doesNotExist();
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
    void aRequestTheWorkerRejectsIsDeadLetteredAndRecordedAsFailed() throws Exception {
        farm.submit("rejected.json", "{\"compute\": \"ghost\", \"tasks\": [{\"word\": \"a\"}, {\"word\": \"b\"}]}");

        JsonNode result = farm.awaitResult("rejected", Duration.ofSeconds(30));

        assertThat(result.get("status").asText()).isEqualTo("failed");
        assertThat(result.get("failed").asInt()).isEqualTo(2);
        assertThat(result.at("/results/0/status").asText()).isEqualTo("error");
        assertThat(result.at("/results/1/error").asText()).contains("dead-lettered by the broker (rejected");
    }
}
