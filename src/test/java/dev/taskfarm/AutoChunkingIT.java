package dev.taskfarm;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.RawWorker;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adaptive chunking with default settings, on RabbitMQ: taskfarm's workers report their compute
 * time, so a job of tiny tasks goes out in chunks sized by the coordinator, and a job of slow
 * tasks one task per message; either way every index has its one right result. A worker that
 * does not report its compute time (a plain amqp-client worker that knows nothing of chunks) only
 * ever gets one task per message.
 */
class AutoChunkingIT {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static TestFarm farm;
    static TestFarm coordinator;
    static Connection connection;
    static final Set<String> plainRequests = ConcurrentHashMap.newKeySet();
    static final AtomicInteger chunkedRequests = new AtomicInteger();
    static final Set<String> pickyRequests = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.worker.slots", "4").start();
        coordinator = TestFarm.onTestBroker()
                .with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "plain,picky")
                .start();
        connection = coordinator.amqpConnection();
        Channel ch = connection.createChannel();
        for (String compute : new String[] {"plain", "picky"}) {
            startPlainWorker(ch, coordinator.requestsQueue(compute));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
        coordinator.close();
        farm.close();
    }

    @Test
    void aTinyTaskJobIsChunkedAutomaticallyAndASlowTaskJobIsNot() throws Exception {
        // the farm's first sha256 job: its probe measures a cold worker JVM; the next job is sized
        // from warm measurements, as in a farm that has been running
        farm.submit("first.json", Jobs.shaJob("sha256", 200, 1).toString());
        assertEveryIndexOnceAndRight(farm.awaitResult("first", Duration.ofSeconds(120)), 200);
        farm.submit("tiny.json", Jobs.shaJob("sha256", 2000, 1).toString());
        JsonNode tiny = farm.awaitResult("tiny", Duration.ofSeconds(120));
        // "poison" without poison: sha256 after holding its thread 20 ms (a task of 20 ms)
        ObjectNode slowJob = Jobs.shaJob("poison", 40, 1);
        slowJob.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 20));
        farm.submit("slow.json", slowJob.toString());
        JsonNode slow = farm.awaitResult("slow", Duration.ofSeconds(120));

        assertEveryIndexOnceAndRight(tiny, 2000);
        assertEveryIndexOnceAndRight(slow, 40);
        Http http = new Http(farm.baseUri());
        JsonNode tinyChunks = http.json("/jobs/tiny").get("chunking");
        assertThat(tinyChunks.get("mode").asText()).isEqualTo("auto");
        assertThat(tinyChunks.get("largest").asInt()).as(tinyChunks.toString()).isGreaterThan(1);
        assertThat(tinyChunks.get("messages").asInt()).as(tinyChunks.toString()).isLessThan(2000 / 2);
        assertThat(tinyChunks.get("last").asInt()).as("the job ends in small messages").isEqualTo(1);
        assertThat(tinyChunks.get("costMicrosPerTask").asDouble()).isPositive();
        JsonNode slowChunks = http.json("/jobs/slow").get("chunking");
        assertThat(slowChunks.get("mode").asText()).isEqualTo("auto");
        assertThat(slowChunks.get("largest").asInt()).as(slowChunks.toString()).isEqualTo(1);
        assertThat(slowChunks.get("messages").asInt()).isEqualTo(40);
        assertThat(slowChunks.get("costMicrosPerTask").asDouble()).as(slowChunks.toString()).isGreaterThanOrEqualTo(20_000);
    }

    @Test
    void anExplicitChunkSizeStillWins() throws Exception {
        ObjectNode job = Jobs.shaJob("sha256", 30, 1);
        job.put("chunkSize", 7);
        farm.submit("explicit.json", job.toString());
        assertEveryIndexOnceAndRight(farm.awaitResult("explicit", Duration.ofSeconds(120)), 30);

        JsonNode chunks = new Http(farm.baseUri()).json("/jobs/explicit").get("chunking");
        assertThat(chunks.toString()).isEqualTo("{\"mode\":\"fixed\",\"size\":7,\"messages\":5}");
    }

    @Test
    void aWorkerThatDoesNotReportItsComputeTimeGetsOneTaskPerMessage() throws Exception {
        StringBuilder tasks = new StringBuilder("{\"compute\": \"plain\", \"tasks\": [");
        for (int i = 0; i < 300; i++) {
            tasks.append(i == 0 ? "" : ",").append("{\"n\": ").append(i).append('}');
        }
        coordinator.submit("plain.json", tasks.append("]}").toString());

        JsonNode result = coordinator.awaitResult("plain", Duration.ofSeconds(120));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        for (int i = 0; i < 300; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            assertThat(result.at("/results/" + i + "/result").asInt()).isEqualTo(i + 1);
        }
        assertThat(chunkedRequests.get()).isZero();
        assertThat(plainRequests).hasSize(300).contains("plain:0", "plain:299");
        JsonNode chunks = new Http(coordinator.baseUri()).json("/jobs/plain").get("chunking");
        assertThat(chunks.get("largest").asInt()).isEqualTo(1);
        assertThat(chunks.get("costMicrosPerTask").isNull()).isTrue();
    }

    @Test
    void aDeadLetteredChunkComesBackOneTaskPerMessageSoOnlyItsPoisonTaskFails() throws Exception {
        StringBuilder tasks = new StringBuilder("{\"compute\": \"picky\", \"chunkSize\": 5, \"tasks\": [");
        for (int i = 0; i < 20; i++) {
            tasks.append(i == 0 ? "" : ",").append("{\"n\": ").append(i).append(i == 7 ? ", \"bad\": true}" : "}");
        }
        coordinator.submit("picky.json", tasks.append("]}").toString());

        JsonNode result = coordinator.awaitResult("picky", Duration.ofSeconds(120));

        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.get("failed").asInt()).isEqualTo(1);
        assertThat(result.at("/results/7/status").asText()).isEqualTo("error");
        assertThat(result.at("/results/7/error").asText()).contains("dead-lettered by the broker (rejected");
        for (int i = 0; i < 20; i++) {
            if (i != 7) {
                assertThat(result.at("/results/" + i + "/result").asInt()).as("task " + i).isEqualTo(i + 1);
            }
        }
        // the chunk 5..9 was rejected whole, then its tasks came back one per message
        assertThat(pickyRequests).contains("picky:5+5", "picky:5", "picky:6", "picky:7", "picky:8", "picky:9")
                .doesNotContain("picky:4", "picky:10");
    }

    static void assertEveryIndexOnceAndRight(JsonNode result, int n) throws Exception {
        assertThat(result.get("status").asText()).as(result.toString()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(n);
        assertThat(result.get("results")).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            assertThat(result.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 1));
        }
    }

    /**
     * A worker written before chunking existed: compute "plain" answers n + 1, one task per
     * request, and says nothing about its compute time. Compute "picky" understands chunks,
     * answers n + 1 per task, and rejects (so RabbitMQ dead-letters) any request with a task
     * marked "bad".
     */
    static void startPlainWorker(Channel ch, String requests) throws Exception {
        RawWorker.start(ch, requests, 10, (props, task) -> {
            Map<String, Object> h = props.getHeaders();
            if (!"picky".equals(String.valueOf(h.get("TaskfarmCompute")))) {
                if (h.containsKey("TaskfarmChunkSize")) {
                    chunkedRequests.incrementAndGet();
                }
                plainRequests.add(props.getCorrelationId());
                return new RawWorker.Reply(Map.of(), task.path("n").asInt() + 1);
            }
            pickyRequests.add(props.getCorrelationId());
            if (task.findValue("bad") != null) {
                return null;
            }
            if (!task.isArray()) {
                return new RawWorker.Reply(Map.of(), task.path("n").asInt() + 1);
            }
            ArrayNode outcomes = MAPPER.createArrayNode();
            task.forEach(t -> outcomes.addObject().put("status", "ok").put("result", t.path("n").asInt() + 1));
            return new RawWorker.Reply(Map.of("TaskfarmChunkSize", h.get("TaskfarmChunkSize")), outcomes);
        });
    }
}
