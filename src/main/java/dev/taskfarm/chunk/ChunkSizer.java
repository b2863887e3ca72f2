package dev.taskfarm.chunk;

/**
 * The sizing rule of adaptive chunking (docs/DESIGN-NOTES.md, "Chunking"): how many tasks the next
 * request message of a job carries, from the compute's measured cost per task, the tasks not yet
 * published and the worker slots serving the queue.
 *
 * <ul>
 * <li>Enough work per message to amortise the per-message cost: {@code targetMicros / cost} tasks,
 * rounded down, so a task of {@code targetMicros} or more (a few milliseconds) travels alone.</li>
 * <li>Never fewer than {@code messagesPerSlot} messages per slot for the rest of the job, so every
 * slot stays busy and the job's last messages are small: the tail stays short.</li>
 * <li>One task per message while the cost is not known.</li>
 * </ul>
 *
 * @param targetMicros    compute time one message should carry, in microseconds
 * @param messagesPerSlot fewest messages per worker slot among the tasks still to publish
 * @param maxChunk        most tasks in one message (the wire limit)
 */
public record ChunkSizer(long targetMicros, int messagesPerSlot, int maxChunk) {

    public ChunkSizer {
        if (targetMicros < 1 || messagesPerSlot < 1 || maxChunk < 1) {
            throw new IllegalArgumentException("chunk target, messages per slot and max chunk must be positive, got "
                    + targetMicros + ", " + messagesPerSlot + ", " + maxChunk);
        }
    }

    /**
     * Tasks in the next message.
     *
     * @param costMicros compute time per task in microseconds, or NaN when not known
     * @param remaining  tasks of the job not yet in a message (at least 1)
     * @param slots      tasks the workers can run at once (consumers on the requests queue)
     */
    public int size(double costMicros, int remaining, int slots) {
        if (Double.isNaN(costMicros) || remaining <= 1) {
            return 1;
        }
        long byCost = (long) Math.floor(targetMicros / Math.max(costMicros, 0.001));
        long bySpread = remaining / ((long) Math.max(1, slots) * messagesPerSlot);
        long size = Math.min(Math.min(byCost, bySpread), Math.min(maxChunk, remaining));
        return (int) Math.max(1, size);
    }
}
