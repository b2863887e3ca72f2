package dev.taskfarm.work;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.ComputeRegistry;

/**
 * Keeps tasks that outlive their time limits from holding the worker's CPU. A task gets two
 * limits, like Celery's {@code soft_time_limit} and {@code time_limit}: at the task timeout it is
 * interrupted and fails; a compute still running {@code kill-after} later is stopped for good.
 * Where a compute runs decides how ({@code taskfarm.task.isolation}):
 *
 * <ul>
 * <li>on a thread of the worker, for computes that honour interruption
 * ({@link Compute#honoursInterrupt()}, the built-ins): no cost per task. A JVM thread cannot be
 * killed, so a thread still running at the hard limit is only reported: it is logged, and liveness
 * ({@code taskfarm-runaways}) is DOWN while it runs, so an orchestrator restarts the worker;</li>
 * <li>in the worker's compute process ({@link ComputeProcess}), for computes from the class path
 * that do not say they honour interruption: a pipe round trip per task, and at the hard limit the
 * child is killed and replaced, which really frees the CPU.</li>
 * </ul>
 */
public class RunawayGuard implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunawayGuard.class);

    /** Where computes run: auto (by {@link Compute#honoursInterrupt()}), thread or process. */
    public enum Isolation {
        AUTO, THREAD, PROCESS;

        public static Isolation parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("taskfarm.task.isolation must be auto, thread or process, got \"" + value + "\"");
            }
        }
    }

    private final Isolation isolation;
    private final ComputeRegistry computes;
    private final ComputeProcess process;
    private final long killAfterMs;
    private final Set<String> stuck = ConcurrentHashMap.newKeySet();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    /** @param timer the kill timer (a single thread of Camel's ExecutorServiceManager), shut down by {@link #close()} */
    public RunawayGuard(Isolation isolation, ComputeRegistry computes, ComputeProcess process, long killAfterMs,
            ScheduledExecutorService timer) {
        this.timer = timer;
        this.isolation = isolation;
        this.computes = computes;
        this.process = process;
        this.killAfterMs = killAfterMs;
    }

    /** The hard limit of a task with this timeout: when a compute that ignores interruption is killed. */
    public java.time.Duration hardLimit(java.time.Duration timeout) {
        return timeout.plusMillis(killAfterMs);
    }

    public ComputeProcess process() {
        return process;
    }

    /** Whether this compute's tasks run in the compute process (else on a thread of the worker). */
    public boolean isolated(Compute compute) {
        if (isolation == Isolation.THREAD || isolation == Isolation.AUTO && compute.honoursInterrupt()) {
            return false;
        }
        if (computes.isFromClassPath(compute)) {
            return true;
        }
        // a bean declared in a route file exists only in this JVM
        if (warned.add(compute.name())) {
            LOG.warn("Compute {} is a route-file bean: it runs on a thread of the worker, so a task of it past its hard"
                    + " time limit can only be reported; list it in META-INF/services to run it in the compute process",
                    compute.name());
        }
        return false;
    }

    /** Runs {@code check} every {@code periodMs} on the guard's timer (the soft limit of computes run in place, {@link TaskTimeouts}). */
    void every(long periodMs, Runnable check) {
        timer.scheduleWithFixedDelay(check, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** The body, recording in {@code runner} the thread that runs it while it runs. */
    public static <T> Callable<T> tracked(AtomicReference<Thread> runner, Callable<T> body) {
        return () -> {
            runner.set(Thread.currentThread());
            try {
                return body.call();
            } finally {
                runner.set(null);
            }
        };
    }

    /**
     * The task on that thread was interrupted at its timeout; if the thread still runs it at the
     * hard limit, report it (log and liveness) until it ends.
     */
    public void watch(AtomicReference<Thread> runner, String label) {
        Thread thread = runner.get();
        if (thread == null) {
            return;
        }
        timer.schedule(() -> check(runner, thread, label), killAfterMs, TimeUnit.MILLISECONDS);
    }

    private void check(AtomicReference<Thread> runner, Thread thread, String label) {
        String key = thread.getName() + " " + label;
        if (runner.get() != thread) {
            if (stuck.remove(key)) {
                LOG.info("Task {} finally stopped; its thread is free again", label);
            }
            return;
        }
        if (stuck.add(key)) {
            LOG.error("Task {} still runs {} ms after its task timeout: its compute ignores interruption, and a thread"
                    + " cannot be killed. Liveness is DOWN until it stops; run such computes in the compute process"
                    + " (taskfarm.task.isolation)", label, killAfterMs);
        }
        timer.schedule(() -> check(runner, thread, label), 1, TimeUnit.SECONDS);
    }

    /** Threads still running a task past its hard limit. */
    public int stuckThreads() {
        return stuck.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (process != null) {
            process.close();
        }
    }
}
