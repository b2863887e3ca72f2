package dev.taskfarm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import dev.taskfarm.bench.NodeProcess;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A coordinator killed with SIGKILL in the middle of collecting a job, then restarted on the same
 * ledger, completes the job with every index exactly once: results are acknowledged to the broker
 * only after the group commit that made them durable, so the replies it had not committed are
 * redelivered, and those it had are recognised as duplicates.
 */
class CoordinatorCrashIT {

    static final int TASKS = 3000;

    @Test
    void aKilledCoordinatorRestartsAndTheJobCompletesExactlyOnce() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        // workers in this JVM; the coordinator is its own JVM, so it can be killed
        try (TestFarm workers = TestFarm.onTestBroker().with("taskfarm.role", "worker")
                .with("taskfarm.worker.slots", "2").start()) {
            Path dir = workers.dir();
            Map<String, String> props = new HashMap<>(TestBroker.rabbitProperties());
            props.put("taskfarm.broker", "rabbitmq");
            props.put("taskfarm.role", "coordinator");
            props.put("taskfarm.computes.external", "flaky");
            props.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
            props.put("taskfarm.http.port", "0");
            for (String k : new String[] {"taskfarm.queue.requests", "taskfarm.queue.replies", "taskfarm.queue.dead-letters"}) {
                props.put(k, workers.property(k));
            }
            props.put("taskfarm.inbox", dir.resolve("c-inbox").toString());
            props.put("taskfarm.outbox", dir.resolve("c-outbox").toString());
            props.put("taskfarm.data", dir.resolve("c-data").toString());
            Path job = dir.resolve("crash.json");
            var tasks = Jobs.shaJob("flaky", TASKS, 2);
            tasks.get("tasks").forEach(t -> ((com.fasterxml.jackson.databind.node.ObjectNode) t).put("sleepMs", 2));
            Files.writeString(job, tasks.toString());
            Path result = dir.resolve("c-outbox").resolve("crash.result.json");

            NodeProcess first = NodeProcess.start("coordinator-1", List.of("-Xmx256m"), props, Map.of(), dir);
            int remainingAtKill;
            {
                first.send("submit crash " + job + " 1");
                // kill it once the workers are well into the job (its tasks are dispatched window by
                // window: part of them is on the broker, part not sent yet)
                int[] doneAtKill = new int[1];
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    first.send("progress crash");
                    String p = first.await("progress ", 30);
                    doneAtKill[0] = Integer.parseInt(p.substring(p.indexOf('=') + 1));
                    return doneAtKill[0] > TASKS / 5;
                });
                first.kill();
                remainingAtKill = TASKS - doneAtKill[0];
            }
            assertThat(remainingAtKill).as("killed mid-job").isPositive();
            assertThat(result).as("no result before the crash").doesNotExist();

            try (NodeProcess second = NodeProcess.start("coordinator-2", List.of("-Xmx256m"), props, Map.of(), dir)) {
                String done = second.await("done crash ", 120);
                assertThat(done).contains(" completed ");
            }
            JsonNode r = new ObjectMapper().readTree(result.toFile());
            assertThat(r.get("status").asText()).isEqualTo("completed");
            assertThat(r.get("succeeded").asInt()).isEqualTo(TASKS);
            assertThat(r.get("results")).hasSize(TASKS);
            for (int i = 0; i < TASKS; i++) {
                assertThat(r.at("/results/" + i + "/index").asInt()).isEqualTo(i);
                assertThat(r.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 2));
            }
        }
    }
}
