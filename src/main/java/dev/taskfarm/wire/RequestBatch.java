package dev.taskfarm.wire;

import java.util.List;

/**
 * Consecutive request messages of one job, the unit the publish route splits a job into. Each body
 * is still one request message on the wire (one task, or one chunk of {@code chunkSize} tasks);
 * batching only spares the coordinator one Camel exchange per message (docs/BENCHMARKS.md).
 *
 * @param firstIndex index of the first task of the first message
 * @param chunkSize  tasks per message (1 = one task per message, the wire default)
 */
public record RequestBatch(String jobId, String compute, int taskCount, int chunkSize, int firstIndex,
        List<String> bodies) {

    /** Index of the first task of message {@code i}. */
    public int indexOf(int i) {
        return firstIndex + i * chunkSize;
    }

    /** Tasks in message {@code i} (the job's last chunk may be shorter). */
    public int tasksIn(int i) {
        return Math.min(chunkSize, taskCount - indexOf(i));
    }

    /** Tasks in the whole batch. */
    public int tasks() {
        return bodies.isEmpty() ? 0 : indexOf(bodies.size() - 1) + tasksIn(bodies.size() - 1) - firstIndex;
    }
}
