package dev.taskfarm.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.Wire;

/**
 * Where a single task's compute runs and how its timeout ends it: a compute that honours
 * interruption runs on the calling thread (the worker's slot, no hand-over to a thread of its own)
 * and is interrupted at the task timeout, with the interrupt gone once the task has ended; one
 * that does not say so still runs on a pool thread the slot can leave behind.
 */
class ComputeRunnerTest {

    private static final long TIMEOUT_MS = 300;
    private static CamelContext context;
    private static ComputeRunner runner;
    private static RunawayGuard guard;

    /** Records the thread it ran on; {@code {"block": true}} waits until interrupted. */
    static final class Where implements Compute {
        private final String name;
        private final boolean honours;
        final AtomicReference<Thread> ranOn = new AtomicReference<>();

        Where(String name, boolean honours) {
            this.name = name;
            this.honours = honours;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean honoursInterrupt() {
            return honours;
        }

        @Override
        public JsonNode compute(JsonNode task) throws Exception {
            ranOn.set(Thread.currentThread());
            if (task.path("block").asBoolean()) {
                new CountDownLatch(1).await();
            }
            if (task.has("fail")) {
                throw new IllegalStateException(task.get("fail").asText());
            }
            return TextNode.valueOf("done");
        }
    }

    private static final Where HERE = new Where("here", true);
    private static final Where POOLED = new Where("pooled", false);

    @BeforeAll
    static void start() throws Exception {
        context = new DefaultCamelContext();
        context.getRegistry().bind("here", HERE);
        context.getRegistry().bind("pooled", POOLED);
        context.start();
        ComputeRegistry computes = new ComputeRegistry(context, "");
        var executors = context.getExecutorServiceManager();
        guard = new RunawayGuard(RunawayGuard.Isolation.THREAD, computes, null, 60_000,
                executors.newSingleThreadScheduledExecutor(RunawayGuard.class, "timer"));
        runner = new ComputeRunner(computes, TIMEOUT_MS, ComputeRunner.Retry.NONE,
                new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1)),
                new PermanentErrors(""), guard, executors.newCachedThreadPool(ComputeRunner.class, "compute"));
    }

    @AfterAll
    static void stop() {
        runner.close();
        guard.close();
        context.stop();
    }

    private static Exchange task(String compute, String body) {
        Exchange e = new DefaultExchange(context);
        e.getMessage().setHeader(Wire.COMPUTE, compute);
        e.getMessage().setHeader(Wire.JOB_ID, "j");
        e.getMessage().setHeader(Wire.TASK_INDEX, 0);
        e.getMessage().setBody(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return e;
    }

    @Test
    void aComputeThatHonoursInterruptionRunsOnTheCallingThread() throws Exception {
        Exchange e = task("here", "{}");
        runner.run(e);
        assertThat(HERE.ranOn.get()).isSameAs(Thread.currentThread());
        assertThat(e.getMessage().getBody(String.class)).isEqualTo("\"done\"");
        assertThat(e.getMessage().getHeader(Wire.COMPUTE_MICROS, Long.class)).isNotNull();
    }

    @Test
    void onTheCallingThreadTheTimeoutInterruptsItAndLeavesNoInterruptBehind() throws Exception {
        assertThatThrownBy(() -> runner.run(task("here", "{\"block\":true}")))
                .isInstanceOf(TaskRejectedException.class)
                .hasMessage("task ran longer than the task timeout of " + TIMEOUT_MS + " ms");
        assertThat(HERE.ranOn.get()).isSameAs(Thread.currentThread());
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        // the thread goes on with the next task, which its deadline does not reach
        Exchange next = task("here", "{}");
        runner.run(next);
        assertThat(next.getMessage().getBody(String.class)).isEqualTo("\"done\"");
        assertThat(Thread.interrupted()).isFalse();
    }

    @Test
    void aFailureOnTheCallingThreadIsTheTasksError() {
        assertThatThrownBy(() -> runner.run(task("here", "{\"fail\":\"boom\"}")))
                .isInstanceOf(TaskFailedException.class).hasMessage("boom");
    }

    @Test
    void anInterruptThatIsNotTheTimeoutsReachesTheCaller() throws Exception {
        // the worker stopping interrupts its slots: the request must go back, not become an error reply
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread slot = new Thread(() -> {
            try {
                runner.run(task("here", "{\"block\":true}"));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        HERE.ranOn.set(null);
        slot.start();
        org.awaitility.Awaitility.await().until(() -> HERE.ranOn.get() == slot);
        slot.interrupt();
        slot.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void aComputeThatDoesNotSaySoRunsOnAThreadOfItsOwnAndStillTimesOut() {
        assertThatThrownBy(() -> runner.run(task("pooled", "{\"block\":true}")))
                .isInstanceOf(TaskRejectedException.class)
                .hasMessage("task ran longer than the task timeout of " + TIMEOUT_MS + " ms");
        assertThat(POOLED.ranOn.get()).isNotSameAs(Thread.currentThread());
    }

    @Test
    void deadlinesAreLookedAtATenthOfTheTimeoutBetween10MsAnd1s() {
        assertThat(TaskTimeouts.period(300)).isEqualTo(30);
        assertThat(TaskTimeouts.period(20)).isEqualTo(10);
        assertThat(TaskTimeouts.period(Duration.ofMinutes(5).toMillis())).isEqualTo(1000);
    }
}
