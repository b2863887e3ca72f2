package dev.taskfarm.chunk;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Message;

import dev.taskfarm.wire.Wire;

/**
 * What each compute costs per task, learnt from the replies: a worker reports the compute time of
 * the tasks a reply answers in {@code TaskfarmComputeMicros} (docs/WIRE.md). The estimate is the
 * lower median of the last {@value #WINDOW} replies' cost per task: one slow reply (the first task
 * of a cold worker JVM, a rare long task) does not swing it, and it follows a change within a few
 * replies. A compute whose replies come without the header (a worker that does not report it) has
 * no estimate, and its jobs are not chunked automatically.
 *
 * <p>The collector calls {@link #observe} for every reply message (not per task); the reply names
 * its job, so the coordinator remembers the compute of the jobs it published ({@link #expect}).
 */
public class ComputeCosts {

    static final int WINDOW = 9;
    private static final int JOBS_REMEMBERED = 10_000;

    /** One compute's recent observations. */
    static final class Cost {
        private final double[] recent = new double[WINDOW];
        private long observed;
        private volatile boolean unreported;
        private volatile double estimate = Double.NaN;

        synchronized void add(double microsPerTask) {
            recent[(int) (observed++ % WINDOW)] = microsPerTask;
            double[] sorted = Arrays.copyOf(recent, (int) Math.min(observed, WINDOW));
            Arrays.sort(sorted);
            estimate = sorted[(sorted.length - 1) / 2];
            notifyAll();
        }

        synchronized void unreported() {
            if (!unreported) {
                unreported = true;
                notifyAll();
            }
        }

        synchronized long observed() {
            return observed;
        }

        /** Waits until {@code count} replies were observed in all, a reply said nothing, or the deadline. */
        synchronized void await(long count, long deadlineNanos) throws InterruptedException {
            long left;
            while (observed < count && !unreported && (left = deadlineNanos - System.nanoTime()) > 0) {
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private final Map<String, Cost> costs = new ConcurrentHashMap<>();
    private final Map<String, String> jobComputes = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > JOBS_REMEMBERED;
        }
    });

    /** The replies of this job are computed by this compute. */
    public void expect(String jobId, String compute) {
        if (jobId != null && compute != null) {
            jobComputes.put(jobId, compute);
        }
    }

    /** Learns from one reply message: its compute time per task, if the worker reported it. */
    public void observe(Message reply) {
        observe(reply.getHeaders());
    }

    /** The same from a reply's headers (a reply alone, or one inside a reply batch). */
    public void observe(Map<String, Object> headers) {
        Object jobId = headers.get(Wire.JOB_ID);
        observe(jobId == null ? null : jobId.toString(), headers.get(Wire.STATUS), headers.get(Wire.COMPUTE_MICROS),
                headers.get(Wire.CHUNK_SIZE));
    }

    /** The same from the reply's headers: job id, status, compute micros and chunk size (may be absent). */
    void observe(String jobId, Object status, Object computeMicros, Object chunkSize) {
        String compute = jobId == null ? null : jobComputes.get(jobId);
        if (compute == null) {
            return;
        }
        Cost cost = cost(compute);
        long micros = number(computeMicros);
        if (micros < 0) {
            // an error reply may have no compute time (the compute threw, or a dead letter);
            // an ok reply without one comes from a worker that does not report it
            if (Wire.STATUS_OK.equals(status)) {
                cost.unreported();
            }
            return;
        }
        cost.add(micros / (double) Math.max(1, number(chunkSize)));
    }

    /** A header's whole number, or -1 when it is absent or not a number (a reply never fails here). */
    private static long number(Object header) {
        if (header instanceof Number n) {
            return n.longValue();
        }
        try {
            return header == null ? -1 : Long.parseLong(header.toString().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Microseconds of compute per task, or NaN while no worker reported it, and for good once a
     * reply of this compute came without it (a worker that may not understand chunks serves it).
     */
    public double estimate(String compute) {
        Cost c = costs.get(compute);
        return c == null || c.unreported ? Double.NaN : c.estimate;
    }

    /** Whether a reply of this compute came without a compute time (its jobs are not sized). */
    public boolean unreported(String compute) {
        Cost c = costs.get(compute);
        return c != null && c.unreported;
    }

    /** Replies observed so far for this compute. */
    public long observed(String compute) {
        return cost(compute).observed();
    }

    /**
     * Waits until {@code count} replies of the compute were observed in all, a reply came without
     * a compute time, or {@code timeoutMs} passed; then returns {@link #estimate}.
     */
    public double await(String compute, long count, long timeoutMs) throws InterruptedException {
        cost(compute).await(count, System.nanoTime() + timeoutMs * 1_000_000);
        return estimate(compute);
    }

    private Cost cost(String compute) {
        return costs.computeIfAbsent(compute, c -> new Cost());
    }
}
