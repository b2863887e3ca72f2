package dev.taskfarm.chunk;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.taskfarm.wire.RequestBatches;

/**
 * How one job's tasks are put into request messages, and what was chosen: a fixed size (the job's
 * {@code chunkSize}, or {@code taskfarm.publish.chunk-size} set to a number), or sized message by
 * message ({@code auto}) by the {@link ChunkSizer} from the compute's measured cost.
 *
 * <p>While a compute's cost is not known yet, an auto plan first publishes a probe of one task per
 * message, two per worker slot (enough to keep every slot busy), then waits until those replies
 * reported their compute time (at most the probe wait), and sizes the rest from the measurement.
 * The wait never blocks: {@link #next} answers 0 (nothing yet) while {@link #waiting}.
 * No reported time, no chunks: a compute served by workers that do not report
 * {@code TaskfarmComputeMicros} keeps one task per message.
 *
 * <p>The publishing thread asks {@link #next}; {@link #toJson} (job status) may read concurrently.
 */
public final class ChunkPlan implements RequestBatches.Sizes {

    private enum Phase { PROBE, WAIT, SIZED }

    private final String jobId;
    private final String compute;
    private final int taskCount;
    private final int fixedSize;
    private final ChunkSizer sizer;
    private final ComputeCosts costs;
    private final int slots;
    private final long probeWaitMs;
    private final int probeMessages;
    private final long observedBefore;
    private Phase phase;
    private long waitingSince;
    private int probes;
    private double costUsed = Double.NaN;
    private int messages;
    private int first;
    private int last;
    private int smallest = Integer.MAX_VALUE;
    private int largest;

    private ChunkPlan(String jobId, String compute, int taskCount, int fixedSize, ChunkSizer sizer, ComputeCosts costs,
            int slots, long probeWaitMs) {
        this.jobId = jobId;
        this.compute = compute;
        this.taskCount = taskCount;
        this.fixedSize = fixedSize;
        this.sizer = sizer;
        this.costs = costs;
        this.slots = Math.max(1, slots);
        this.probeWaitMs = probeWaitMs;
        this.probeMessages = 2 * this.slots;
        this.observedBefore = costs == null ? 0 : costs.observed(compute);
        this.phase = costs == null || !Double.isNaN(costs.estimate(compute)) ? Phase.SIZED : Phase.PROBE;
    }

    /** A job with a fixed number of tasks per message. */
    public static ChunkPlan fixed(String jobId, int taskCount, int size) {
        return new ChunkPlan(jobId, null, taskCount, Math.max(1, size), null, null, 1, 0);
    }

    /** A job whose messages are sized from the compute's measured cost. */
    public static ChunkPlan auto(String jobId, String compute, int taskCount, ChunkSizer sizer, ComputeCosts costs, int slots,
            long probeWaitMs) {
        return new ChunkPlan(jobId, compute, taskCount, 0, sizer, costs, slots, probeWaitMs);
    }

    public String jobId() {
        return jobId;
    }

    public boolean isAuto() {
        return fixedSize == 0;
    }

    /** Tasks per message of a fixed plan (1 for an auto plan: its sizes come from {@link #next}). */
    public int fixedSize() {
        return Math.max(1, fixedSize);
    }

    @Override
    public synchronized int next(int remaining) {
        if (phase == Phase.PROBE) {
            if (probes < probeMessages) {
                probes++;
                return record(1);
            }
            phase = Phase.WAIT;
            waitingSince = System.nanoTime();
            return 0; // the probe goes out before the wait
        }
        if (phase == Phase.WAIT) {
            if (waiting()) {
                // never blocks the dispatcher, which serves other jobs meanwhile and asks again
                return 0;
            }
            phase = Phase.SIZED;
        }
        costUsed = costs.estimate(compute);
        return record(sizer.size(costUsed, remaining, slots));
    }

    /**
     * True while the plan waits for the probe's compute times (and the probe wait has not passed):
     * {@link #next} would block, so a dispatcher serving other jobs asks again later instead.
     */
    public synchronized boolean waiting() {
        return phase == Phase.WAIT && costs.observed(compute) < observedBefore + probeMessages
                && !costs.unreported(compute) && System.nanoTime() - waitingSince < probeWaitMs * 1_000_000;
    }

    private int record(int size) {
        if (messages++ == 0) {
            first = size;
        }
        last = size;
        smallest = Math.min(smallest, size);
        largest = Math.max(largest, size);
        return size;
    }

    /** The chosen sizes, for the job status. */
    public synchronized ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (!isAuto()) {
            n.put("mode", "fixed").put("size", fixedSize).put("messages", (taskCount + fixedSize - 1) / fixedSize);
            return n;
        }
        n.put("mode", "auto");
        if (Double.isNaN(costUsed)) {
            n.putNull("costMicrosPerTask");
        } else {
            n.put("costMicrosPerTask", Math.round(costUsed * 10) / 10.0);
        }
        n.put("slots", slots).put("messages", messages).put("first", first).put("largest", largest)
                .put("smallest", messages == 0 ? 0 : smallest).put("last", last);
        return n;
    }

    /** One line for the log. */
    public synchronized String describe() {
        if (!isAuto()) {
            return fixedSize == 1 ? "one task per message" : "chunks of " + fixedSize + " tasks (fixed)";
        }
        String cost = Double.isNaN(costUsed) ? "cost not reported" : String.format("%.1f us per task", costUsed);
        return messages + " messages, auto chunks of " + smallest + ".." + largest + " tasks (" + cost + ", " + slots
                + " worker slots)";
    }
}
