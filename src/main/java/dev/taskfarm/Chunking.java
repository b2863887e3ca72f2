package dev.taskfarm;

import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.chunk.ChunkSizer;
import dev.taskfarm.chunk.ComputeCosts;
import dev.taskfarm.job.JobFile;

/** Configuration of adaptive chunking (the {@code taskfarm.publish.chunk-*} keys) for a coordinator. */
final class Chunking {

    /**
     * Most tasks in an automatic chunk. Past a few hundred tiny tasks a bigger chunk saves nothing
     * measurable (the per-message cost of ~230 us is then under 0.5 us per task, against ~35 us of
     * per-task work in the collector), but a chunk reply grows with it, and the collector holds up
     * to its prefetch (1000) of them: 500 tasks keep that under ~50 MB of a 256 MiB coordinator.
     */
    static final int AUTO_MAX_CHUNK = 500;

    private Chunking() {
    }

    /** {@code taskfarm.publish.chunk-size}: {@code auto} = 0, else the tasks per message (1..10000). */
    static int defaultSize(Settings s) {
        String v = s.text("taskfarm.publish.chunk-size").trim();
        if ("auto".equalsIgnoreCase(v)) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= JobFile.MAX_CHUNK) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("taskfarm.publish.chunk-size must be auto or a number of tasks from 1 to "
                + JobFile.MAX_CHUNK + ", got \"" + v + "\"");
    }

    /**
     * The worker slots of a compute: consumers on its requests queue (one per worker process, a
     * Java worker's one channel consumes each of its queues once) times taskfarm.worker.slots;
     * that many when no worker is there yet or the broker cannot say.
     */
    static int slots(ComputeQueues queues, String compute, int slotsPerWorker) {
        return slots(queues.requests(compute, 1000), slotsPerWorker);
    }

    /** The same from the last count read (no broker call: for the dispatcher, which asks holding its lock). */
    static int cachedSlots(ComputeQueues queues, String compute, int slotsPerWorker) {
        return slots(queues.cached(compute), slotsPerWorker);
    }

    private static int slots(ComputeQueues.Count count, int slotsPerWorker) {
        return (int) Math.min(100_000, Math.max(1, count.consumers()) * Math.max(1, slotsPerWorker));
    }

    static ChunkPlanner planner(Settings s, ComputeQueues queues) {
        ChunkSizer sizer = new ChunkSizer(s.duration("taskfarm.publish.chunk-target").toNanos() / 1000,
                s.integer("taskfarm.publish.chunk-messages-per-slot"), AUTO_MAX_CHUNK);
        return new ChunkPlanner(new ComputeCosts(), sizer,
                compute -> slots(queues, compute, s.integer("taskfarm.worker.slots")),
                s.duration("taskfarm.publish.chunk-probe-wait").toMillis());
    }
}
