package dev.taskfarm.dispatch;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * How many tasks each job may have in flight (docs/DESIGN-NOTES.md, "Fair share").
 *
 * <p>Little's law: the tasks in flight of all jobs together are the completion rate (results
 * recorded per second, smoothed) times {@code queueTimeMs}, so a task published now waits about
 * that long; but never fewer than {@code messagesPerSlot} messages per worker slot (one running, one
 * waiting: a slot never idles while its next message is being refilled). Each job with tasks left to
 * send gets the share {@code priority / sum of priorities} of that total. Called holding the
 * {@link Dispatcher}'s lock, except {@link #recorded}.
 */
final class Windows {

    /** Smoothing time constant of the completion rate. */
    private static final double RATE_TAU_NANOS = 1e9;

    private final ToIntFunction<String> slots;
    private final long queueTimeMs;
    private final long maxWindow;
    private final int messagesPerSlot;
    private final AtomicLong recordedTotal = new AtomicLong();
    private volatile Backlog backlog = compute -> null;
    private double rate;
    private long rateAt = System.nanoTime();
    private long rateCount;

    /**
     * @param slots           worker slots serving a compute's requests queue, by compute
     * @param queueTimeMs     how long a task should wait in flight
     * @param maxWindow       most tasks in flight of one job
     * @param messagesPerSlot fewest messages in flight per worker slot (of all jobs together)
     */
    Windows(ToIntFunction<String> slots, long queueTimeMs, long maxWindow, int messagesPerSlot) {
        this.slots = slots;
        this.queueTimeMs = queueTimeMs;
        this.maxWindow = Math.max(1, maxWindow);
        this.messagesPerSlot = Math.max(1, messagesPerSlot);
    }

    void setBacklog(Backlog backlog) {
        this.backlog = backlog;
    }

    /** One result recorded (any job): counts for the completion rate. Thread-safe. */
    void recorded() {
        recordedTotal.incrementAndGet();
    }

    /** Completion rate (tasks per second, smoothed). */
    double rate() {
        return rate;
    }

    /** Tasks in flight of all jobs together: completion rate x queue time. */
    long total() {
        long now = System.nanoTime();
        long dt = now - rateAt;
        if (dt >= 20_000_000L) {
            long count = recordedTotal.get();
            double instant = (count - rateCount) * 1e9 / dt;
            rate += (instant - rate) * (1 - Math.exp(-dt / RATE_TAU_NANOS));
            rateAt = now;
            rateCount = count;
        }
        return (long) (rate * queueTimeMs / 1000.0);
    }

    /**
     * Tasks the job may be sent now (0: none), and its window set.
     *
     * @param weights the priorities of the jobs with tasks to send, summed
     * @param total   {@link #total()} of this turn
     */
    int room(JobWindow c, double weights, long total) {
        if (!c.wantsToSend() || weights <= 0) {
            return 0;
        }
        double share = c.priority / weights;
        int slotCount = Math.max(1, slots.applyAsInt(c.compute));
        long minimum = (long) Math.max(1, Math.ceil(slotCount * messagesPerSlot * share)) * c.lastChunk;
        long window = Math.max(minimum, (long) (total * share));
        if (c.inFlightTasks >= Math.max(window, c.window)) {
            grow(c);
        }
        c.window = Math.min(maxWindow, Math.max(window, c.grown));
        if (c.plan != null && c.plan.waiting()) {
            return 0;
        }
        long room = c.window - c.inFlightTasks;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, room));
    }

    /**
     * Little's law sizes the windows only while results come back within the queue time: when they
     * take longer (long tasks are covered by the per-slot minimum, but a slow result path, a loaded
     * machine, a resumed job of one task per message are not), rate x queue time is less than what
     * keeps the workers busy, the rate falls with it and the windows shrink to their minimum. So a
     * full window whose compute queue holds no ready request (every request sent is in a worker: its
     * slots may soon idle) doubles, once per fresh reading of the queue, and halves again on a
     * reading with requests waiting, back towards Little's law. It grows to twice the messages the
     * compute's workers can hold at most: with their queue empty, the rest of a bigger window would be
     * replies waiting for the collector (the coordinator is the bottleneck), which delays every other
     * job's results behind them.
     */
    private void grow(JobWindow c) {
        Backlog.Reading r = backlog.of(c.compute);
        if (r == null || r.ready() < 0 || r.at() <= c.grownOnReading) {
            return;
        }
        c.grownOnReading = r.at();
        if (r.ready() > 0) {
            c.grown /= 2;
            return;
        }
        long cap = maxWindow;
        if (r.holdable() > 0) {
            // what is in flight beyond what the workers can hold waits for the collector, not for a
            // worker: a bigger window would only queue more replies in front of the other jobs' ones
            cap = Math.min(cap, 2 * r.holdable() * c.lastChunk);
        }
        c.grown = Math.min(cap, Math.max(c.window, c.grown) * 2);
    }
}
