package dev.taskfarm;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.FlakyCompute;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.LogCapture;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failures worth their name, on the real RabbitMQ: an error that retrying cannot fix is not
 * retried, one that may go away is (taskfarm.retry.max times), and either way a failed task
 * writes one log line.
 */
class FailuresIT {

    static TestFarm farm;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.worker.slots", "2").start();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    /** A flaky job of n plain tasks where task 1 gets the given fields. */
    private static ObjectNode jobWithBadTask(String group, String field) {
        ObjectNode job = Jobs.shaJob("flaky", 3, 1);
        ((ObjectNode) job.get("tasks").get(1)).put("seed", group).put("group", group).put(field, true);
        return job;
    }

    /** Runs the job; its task 1 must fail with this error, named by exactly one log line. */
    private static JsonNode failsWithOneLogLine(String jobId, String job, String error) throws Exception {
        try (LogCapture log = LogCapture.open()) {
            farm.submit(jobId + ".json", job);

            JsonNode result = farm.awaitResult(jobId, Duration.ofSeconds(60));

            assertThat(result.get("status").asText()).isEqualTo("partial");
            assertThat(result.at("/results/1/error").asText()).isEqualTo(error);
            assertThat(log.mentioning(error)).hasSize(1);
            return result;
        }
    }

    @Test
    void anIllegalArgumentIsNotRetriedAndLogsOneLine() throws Exception {
        failsWithOneLogLine("bad-arg", jobWithBadTask("bad-arg", "bad").toString(), "task bad-arg is bad");

        assertThat(FlakyCompute.runs("bad-arg")).isEqualTo(1);
    }

    @Test
    void aBadTaskExceptionIsNotRetried() throws Exception {
        JsonNode result = failsWithOneLogLine("bad-task", jobWithBadTask("bad-task", "badTask").toString(),
                "task bad-task can never succeed");

        assertThat(result.at("/results/0/status").asText()).isEqualTo("ok");
        assertThat(FlakyCompute.runs("bad-task")).isEqualTo(1);
    }

    @Test
    void aMissingFieldOfABuiltInComputeIsRefusedAtIntakeNeverRetried() throws Exception {
        // the built-in computes check every task at intake (admission control): such a task never
        // reaches a worker, so nothing is computed or retried
        farm.submit("no-seed.json", "{\"compute\":\"sha256\",\"tasks\":[{\"seed\":\"a\"},{\"rounds\":2}]}");
        java.nio.file.Path reason = farm.inbox().resolve(".error").resolve("no-seed.json.error.txt");
        await().atMost(Duration.ofSeconds(60)).until(() -> java.nio.file.Files.exists(reason));
        assertThat(java.nio.file.Files.readString(reason))
                .contains("task 1 is not a valid sha256 task: sha256 needs a text field 'seed'");
    }

    @Test
    void anErrorThatMayGoAwayIsRetriedAndStillLogsOneLine() throws Exception {
        failsWithOneLogLine("transient", jobWithBadTask("transient", "fail").toString(), "task transient was told to fail");

        // the first attempt and taskfarm.retry.max = 3 retries
        assertThat(FlakyCompute.runs("transient")).isEqualTo(4);
    }

    @Test
    void aPermanentErrorInAChunkIsNotRetried() throws Exception {
        ObjectNode job = jobWithBadTask("chunk-bad", "bad");
        job.put("chunkSize", 3);
        farm.submit("chunk-bad.json", job.toString());

        JsonNode result = farm.awaitResult("chunk-bad", Duration.ofSeconds(60));

        assertThat(result.at("/results/1/error").asText()).isEqualTo("task chunk-bad is bad");
        assertThat(result.at("/results/2/status").asText()).isEqualTo("ok");
        assertThat(FlakyCompute.runs("chunk-bad")).isEqualTo(1);
    }
}
