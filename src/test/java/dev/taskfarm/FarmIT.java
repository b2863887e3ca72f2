package dev.taskfarm;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.Metrics;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole flow, inbox to outbox, on the real RabbitMQ. */
class FarmIT {

    static TestFarm farm;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.worker.slots", "2")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    @Test
    void thousandTaskJobHasEveryIndexOnceWithCorrectHashes() throws Exception {
        farm.submit("thousand.json", Jobs.shaJob("sha256", 1000, 3).toString());

        JsonNode result = farm.awaitResult("thousand", Duration.ofSeconds(90));

        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("total").asInt()).isEqualTo(1000);
        assertThat(result.get("succeeded").asInt()).isEqualTo(1000);
        JsonNode results = result.get("results");
        assertThat(results).hasSize(1000);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            JsonNode r = results.get(i);
            assertThat(r.get("index").asInt()).isEqualTo(i);
            assertThat(seen.add(r.get("index").asInt())).isTrue();
            assertThat(r.get("status").asText()).isEqualTo("ok");
            assertThat(r.get("result").asText()).isEqualTo(Jobs.expectedSha(i, 3));
        }
        assertThat(farm.inbox().resolve(".done/thousand.json")).exists();
    }

    /**
     * One task per request message, but the worker's replies travel in reply batches (docs/WIRE.md)
     * whenever several are ready while the previous one awaits its confirm: every task still
     * answered exactly once, in far fewer reply messages than tasks.
     */
    @Test
    void perMessageRepliesTravelInReplyBatches() throws Exception {
        double before = Metrics.series(farm, "taskfarm_reply_batch_replies_sum");
        var job = Jobs.shaJob("sha256", 4000, 1);
        job.put("chunkSize", 1);
        farm.submit("batched.json", job.toString());

        JsonNode result = farm.awaitResult("batched", Duration.ofSeconds(120));

        Jobs.assertCompleteWithEveryIndexOnce(result, 4000, 1);
        double batches = Metrics.series(farm, "taskfarm_reply_batch_replies_count");
        double batched = Metrics.series(farm, "taskfarm_reply_batch_replies_sum") - before;
        System.out.printf("FarmIT: %d of 4000 replies came in reply batches, %.1f a batch on average%n",
                (long) batched, Metrics.series(farm, "taskfarm_reply_batch_replies_sum") / batches);
        assertThat(batched).as("replies that came in batches").isGreaterThan(2000);
        assertThat(Metrics.series(farm, "taskfarm_reply_batch_replies_sum") / batches).as("replies a batch")
                .isGreaterThan(2);
    }

    @Test
    void failingTasksGetErrorRepliesAndTheJobEndsPartial() throws Exception {
        var job = Jobs.shaJob("poison", 20, 1);
        ((com.fasterxml.jackson.databind.node.ObjectNode) job.get("tasks").get(3)).put("poison", "throw");
        ((com.fasterxml.jackson.databind.node.ObjectNode) job.get("tasks").get(17)).put("poison", "throw");
        farm.submit("flaky.json", job.toString());

        JsonNode result = farm.awaitResult("flaky", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.get("failed").asInt()).isEqualTo(2);
        assertThat(result.get("succeeded").asInt()).isEqualTo(18);
        assertThat(result.at("/results/3/status").asText()).isEqualTo("error");
        assertThat(result.at("/results/3/error").asText()).contains("task task-3 was told to throw");
        assertThat(result.at("/results/17/status").asText()).isEqualTo("error");
        assertThat(result.at("/results/4/result").asText()).isEqualTo(Jobs.expectedSha(4, 1));
    }

    @Test
    void ndjsonAndArrayInputsRunWithTheDefaultCompute() throws Exception {
        StringBuilder nd = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            nd.append("{\"seed\":\"task-").append(i).append("\",\"rounds\":2}\n");
        }
        farm.submit("lines.ndjson", nd.toString());
        farm.submit("array.json", "[{\"seed\":\"task-0\"},{\"seed\":\"task-1\"}]");

        JsonNode lines = farm.awaitResult("lines", Duration.ofSeconds(30));
        JsonNode array = farm.awaitResult("array", Duration.ofSeconds(30));

        assertThat(lines.get("status").asText()).isEqualTo("completed");
        assertThat(lines.at("/results/4/result").asText()).isEqualTo(Jobs.expectedSha(4, 2));
        assertThat(array.get("total").asInt()).isEqualTo(2);
        assertThat(array.at("/results/1/result").asText()).isEqualTo(Jobs.expectedSha(1, 1));
    }

    @Test
    void badFilesMoveToErrorWithAReasonAndNothingIsPublished() throws Exception {
        farm.submit("broken.json", "{\"tasks\": [ {\"seed\": \"a\"}, ");
        farm.submit("empty.json", "");
        farm.submit("numbers.json", "[1, 2, 3]");
        farm.submit("unknown-compute.json", "{\"compute\": \"nope\", \"tasks\": [{}]}");

        for (String name : new String[] {"broken.json", "empty.json", "numbers.json", "unknown-compute.json"}) {
            var reason = farm.inbox().resolve(".error/" + name + ".error.txt");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(reason));
            assertThat(farm.inbox().resolve(".error/" + name)).exists();
        }
        assertThat(Files.readString(farm.inbox().resolve(".error/empty.json.error.txt"))).contains("the file is empty");
        assertThat(Files.readString(farm.inbox().resolve(".error/numbers.json.error.txt")))
                .contains("task 0 must be a JSON object, got a number");
        assertThat(Files.readString(farm.inbox().resolve(".error/unknown-compute.json.error.txt")))
                .contains("unknown compute \"nope\"").contains("sha256");
        assertThat(Files.readString(farm.inbox().resolve(".error/broken.json.error.txt"))).contains("not valid JSON");
        assertThat(farm.outbox().resolve("broken.result.json")).doesNotExist();
    }

    @Test
    void aJobIdRunsOnce() throws Exception {
        farm.submit("once.json", "[{\"seed\":\"x\"}]");
        farm.awaitResult("once", Duration.ofSeconds(30));
        // the job may end before its intake moved the file (its tasks are dispatched after it)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> Files.exists(farm.inbox().resolve(".done/once.json")));

        farm.submit("once.json", "[{\"seed\":\"y\"}]");

        var reason = farm.inbox().resolve(".error/once.json.error.txt");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(reason));
        assertThat(Files.readString(reason)).contains("job \"once\" was already submitted");
    }
}
