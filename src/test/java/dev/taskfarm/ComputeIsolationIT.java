package dev.taskfarm;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every class-path compute in the compute process (taskfarm.task.isolation=process), on the
 * embedded broker: results, permanent errors and a runaway inside a chunk, whose neighbours in
 * the chunk still complete (the chunk is not requeued round and round).
 */
class ComputeIsolationIT {

    static TestFarm farm;

    @BeforeAll
    static void start() throws Exception {
        farm = TestFarm.onEmbeddedBroker().with("taskfarm.task.isolation", "process")
                .with("taskfarm.task.timeout", "PT2S").with("taskfarm.task.kill-after", "PT1S").start();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    @Test
    void builtInsRunInTheComputeProcessWithTheirErrors() throws Exception {
        // flaky: sha256 of the task, and task 7 throws IllegalArgumentException in the compute process
        // (a bad sha256 task is refused at intake now, so it would never reach a compute)
        var job = Jobs.shaJob("flaky", 20, 2);
        ((com.fasterxml.jackson.databind.node.ObjectNode) job.get("tasks").get(7)).put("bad", true);
        farm.submit("isolated.json", job.toString());

        JsonNode result = farm.awaitResult("isolated", Duration.ofSeconds(60));

        assertThat(result.get("succeeded").asInt()).isEqualTo(19);
        assertThat(result.at("/results/7/error").asText()).isEqualTo("task task-7 is bad");
        assertThat(result.at("/results/19/result").asText()).isEqualTo(Jobs.expectedSha(19, 2));
    }

    @Test
    void aRunawayInAChunkFailsAloneAndItsNeighboursComplete() throws Exception {
        farm.submit("chunk-runaway.json", "{\"compute\":\"spin\",\"chunkSize\":3,"
                + "\"tasks\":[{\"ms\":1},{\"spin\":\"forever\"},{\"ms\":1500},{\"ms\":1}]}");

        JsonNode result = farm.awaitResult("chunk-runaway", Duration.ofSeconds(60));

        assertThat(result.get("status").asText()).isEqualTo("partial");
        assertThat(result.at("/results/1/error").asText()).isEqualTo("task ran longer than the task timeout of 2000 ms");
        for (int i : new int[] {0, 2, 3}) {
            assertThat(result.at("/results/" + i + "/status").asText()).as("task " + i).isEqualTo("ok");
        }
    }
}
