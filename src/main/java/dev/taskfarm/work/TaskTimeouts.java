package dev.taskfarm.work;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The task timeout of computes that run on the calling thread, a worker's compute slot: those that
 * honour interruption ({@link dev.taskfarm.compute.Compute#honoursInterrupt()}, the built-ins). A
 * thread registers once; a scan every {@link #period(long)} interrupts a thread whose task passed
 * its deadline, and hands it to the {@link RunawayGuard} as any timed-out task. Per task this costs
 * a few volatile writes and an uncontended lock, where running the compute on a pool thread of its
 * own cost two thread hand-overs, a wake-up each way (about 17 us of CPU per task, docs/BENCHMARKS.md).
 *
 * <p>A compute that says it honours interruption and does not keeps its slot until it returns
 * (the guard reports it past the hard limit, as for any thread); its task still ends as timed out.
 */
final class TaskTimeouts {

    private final long timeoutNanos;
    private final RunawayGuard guard;
    private final Set<Running> threads = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Running> mine = ThreadLocal.withInitial(this::register);

    TaskTimeouts(long timeoutMs, RunawayGuard guard) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        this.guard = guard;
        guard.every(period(timeoutMs), this::scan);
    }

    /** How often deadlines are looked at: a tenth of the timeout, between 10 ms and 1 s. */
    static long period(long timeoutMs) {
        return Math.max(10, Math.min(1000, timeoutMs / 10));
    }

    /** The calling thread starts a task; {@link Running#finish()} says whether it ran out of time. */
    Running start(Supplier<String> label) {
        Running r = mine.get();
        r.start(System.nanoTime() + timeoutNanos, label);
        return r;
    }

    private Running register() {
        Running r = new Running(Thread.currentThread());
        threads.add(r);
        return r;
    }

    private void scan() {
        long now = System.nanoTime();
        for (Running r : threads) {
            if (!r.thread.isAlive()) {
                threads.remove(r);
                continue;
            }
            AtomicReference<Thread> late = r.interruptIfLate(now);
            if (late != null) {
                guard.watch(late, r.label.get());
            }
        }
    }

    /** One thread's task in progress. */
    static final class Running {
        private final Thread thread;
        /** The thread while it runs its task, then null (a new one per task, for {@link RunawayGuard#watch}). */
        private volatile AtomicReference<Thread> runner;
        private volatile long deadline;
        private volatile Supplier<String> label;
        private boolean fired; // guarded by this

        private Running(Thread thread) {
            this.thread = thread;
        }

        private void start(long deadline, Supplier<String> label) {
            this.deadline = deadline;
            this.label = label;
            this.runner = new AtomicReference<>(thread);
        }

        private synchronized AtomicReference<Thread> interruptIfLate(long now) {
            AtomicReference<Thread> current = runner;
            if (current == null || current.get() == null || fired || now - deadline < 0) {
                return null;
            }
            fired = true;
            thread.interrupt();
            return current;
        }

        /**
         * The task ended (on its thread): whether its deadline had passed and it was interrupted;
         * that interrupt is cleared, so it does not reach what the thread does next.
         */
        synchronized boolean finish() {
            runner.set(null);
            boolean late = fired;
            fired = false;
            if (late) {
                Thread.interrupted();
            }
            return late;
        }
    }
}
