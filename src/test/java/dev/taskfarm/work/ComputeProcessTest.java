package dev.taskfarm.work;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The compute process against real child JVMs (the test class path, so the test computes are
 * there): results and errors come back, a runaway is killed with its child at the hard limit,
 * the tasks in flight there are lost (to be requeued, not failed), and the next task gets a fresh
 * child.
 */
class ComputeProcessTest {

    private final ComputeProcess process = new ComputeProcess("-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
            "java.lang.IllegalArgumentException", 500);

    @AfterEach
    void close() {
        process.close();
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void resultsAndErrorsComeBackByKind() throws Exception {
        assertThat(new String(process.run("sha256", json("{\"seed\":\"task-0\"}"), 30_000, "t:0"), StandardCharsets.UTF_8))
                .isEqualTo("\"600153c1dc756d80f14729c67d3c13afe4ad2959ef68b255a547d384f92e787f\"");
        assertThatThrownBy(() -> process.run("sha256", json("{\"rounds\":1}"), 30_000, "t:1"))
                .isInstanceOf(TaskRejectedException.class).hasMessage("sha256 needs a text field 'seed'");
        assertThatThrownBy(() -> process.run("flaky", json("{\"seed\":\"x\",\"fail\":true}"), 30_000, "t:2"))
                .isInstanceOf(TaskFailedException.class).hasMessage("task x was told to fail");
        assertThatThrownBy(() -> process.run("nope", json("{}"), 30_000, "t:3"))
                .isInstanceOf(TaskRejectedException.class).hasMessageContaining("unknown compute \"nope\"");
    }

    @Test
    void aRunawayIsKilledWithItsChildTheOthersThereAreLostAndTheNextTaskGetsAFreshChild() throws Exception {
        process.run("echo", json("{}"), 30_000, "warm:0");
        long firstChild = process.pid();
        // a task beside the runaway, in the same child, that would run for a minute
        CompletableFuture<Object> beside = CompletableFuture.supplyAsync(() -> {
            try {
                return process.run("spin", json("{\"ms\":60000}"), 120_000, "beside:0");
            } catch (Exception e) {
                return e;
            }
        });

        assertThatThrownBy(() -> process.run("spin", json("{}"), 1000, "runaway:0"))
                .isInstanceOf(TaskRejectedException.class).hasMessage("task ran longer than the task timeout of 1000 ms");

        assertThat(beside.get()).isInstanceOf(ComputeProcessLostException.class);
        assertThat(((Exception) beside.get()).getMessage()).contains("killed").contains("runaway:0 ignored interruption");
        await().until(() -> ProcessHandle.of(firstChild).map(p -> !p.isAlive()).orElse(true));
        assertThat(new String(process.run("echo", json("{\"a\":1}"), 30_000, "next:0"), StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":1}");
        assertThat(process.pid()).isNotEqualTo(firstChild).isPositive();
    }

    @Test
    void aChildThatDiesLosesItsTasksAndIsReplaced() throws Exception {
        process.run("echo", json("{}"), 30_000, "warm:0");
        long firstChild = process.pid();

        assertThatThrownBy(() -> process.run("poison", json("{\"poison\":\"halt\"}"), 30_000, "halt:0"))
                .isInstanceOf(ComputeProcessLostException.class).hasMessageContaining("exited with code 137");

        assertThat(new String(process.run("echo", json("{}"), 30_000, "next:0"), StandardCharsets.UTF_8)).isEqualTo("{}");
        assertThat(process.pid()).isNotEqualTo(firstChild);
    }
}
