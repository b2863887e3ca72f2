package dev.taskfarm.chunk;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Chooses how a job's tasks go into request messages (a {@link ChunkPlan}) and remembers the
 * plans of recent jobs for their status. A job's explicit chunk size wins; otherwise the plan is
 * {@code auto}: sized from the compute's cost per task ({@link ComputeCosts}) and the worker slots
 * of the job's compute (consumers on its requests queue times a worker's slots, counted once per job).
 */
public class ChunkPlanner {

    private static final int PLANS_REMEMBERED = 1000;

    private final ComputeCosts costs;
    private final ChunkSizer sizer;
    private final ToIntFunction<String> slots;
    private final long probeWaitMs;
    private final Map<String, ChunkPlan> recent = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ChunkPlan> eldest) {
            return size() > PLANS_REMEMBERED;
        }
    });

    /** @param slots the worker slots that serve a compute, by compute name */
    public ChunkPlanner(ComputeCosts costs, ChunkSizer sizer, ToIntFunction<String> slots, long probeWaitMs) {
        this.costs = costs;
        this.sizer = sizer;
        this.slots = slots;
        this.probeWaitMs = probeWaitMs;
    }

    /**
     * The plan for a job.
     *
     * @param explicitSize tasks per message the job (or the configuration) asks for, 0 = auto
     */
    public ChunkPlan plan(String jobId, String compute, int taskCount, int explicitSize) {
        costs.expect(jobId, compute);
        ChunkPlan plan = explicitSize > 0 ? ChunkPlan.fixed(jobId, taskCount, explicitSize)
                : ChunkPlan.auto(jobId, compute, taskCount, sizer, costs, slots.applyAsInt(compute), probeWaitMs);
        recent.put(jobId, plan);
        return plan;
    }

    /** The cost estimates the plans are sized from (the collector feeds them). */
    public ComputeCosts costs() {
        return costs;
    }

    /** The plan of a recent job, or null. */
    public ChunkPlan find(String jobId) {
        return recent.get(jobId);
    }
}
