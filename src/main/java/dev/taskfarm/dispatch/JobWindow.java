package dev.taskfarm.dispatch;

import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

import dev.taskfarm.chunk.ChunkPlan;
import dev.taskfarm.wire.BatchCursor;
import dev.taskfarm.wire.RequestBatch;

/**
 * One job's dispatch: the cursor over its kept input, the request messages in flight (published,
 * not fully answered) and its window. Guarded by the {@link Dispatcher}'s lock, except
 * {@link #batches}, which the dispatch reads outside it while {@link #reading} is set.
 */
final class JobWindow {
    final String jobId;
    final String compute;
    final int total;
    final int priority;
    final BatchCursor batches;
    final ChunkPlan plan;
    final long createdAt = System.currentTimeMillis();
    /** first task index of each message in flight -> {tasks, tasks without a result} */
    private final TreeMap<Integer, int[]> messages = new TreeMap<>();
    /** tasks of this window already answered: a second answer of one (a duplicate) frees nothing */
    private final BitSet answered = new BitSet();
    int inFlightTasks;
    long published;
    long batchCount;
    long window;
    /** window grown while the compute's queue ran empty (tasks), and the queue reading it came from */
    long grown;
    long grownOnReading;
    int lastChunk = 1;
    boolean exhausted;
    boolean stopped;
    boolean reading;
    boolean closeAfterRead;
    RequestBatch lastBatch;

    JobWindow(String jobId, String compute, int total, int priority, BatchCursor batches, ChunkPlan plan) {
        this.jobId = jobId;
        this.compute = compute;
        this.total = total;
        this.priority = Math.max(1, priority);
        this.batches = batches;
        this.plan = plan;
    }

    boolean wantsToSend() {
        return !exhausted && !stopped;
    }

    /** The batch goes out: its messages are in flight; {@code last} when the job has nothing more to send. */
    void sending(RequestBatch b, boolean last) {
        for (int i = 0; i < b.bodies().size(); i++) {
            int size = b.tasksIn(i);
            messages.put(b.indexOf(i), new int[] {size, size});
        }
        inFlightTasks += b.tasks();
        published += b.tasks();
        batchCount++;
        lastChunk = Math.max(1, b.chunkSize());
        if (last) {
            exhausted = true;
            lastBatch = b;
        }
    }

    /**
     * A task has a result (recorded now, or already: a duplicate reply): true when that answered
     * its message fully (a message's worth of window space is free); false also for a task
     * published before a restart or a rewind, and for a task this window heard of before.
     */
    boolean recorded(int index) {
        Map.Entry<Integer, int[]> e = messages.floorEntry(index);
        if (e == null || index >= e.getKey() + e.getValue()[0] || answered.get(index)) {
            return false; // not in this window, or answered already
        }
        answered.set(index);
        inFlightTasks--;
        if (--e.getValue()[1] <= 0) {
            messages.remove(e.getKey());
            return true;
        }
        return false;
    }

    int messagesInFlight() {
        return messages.size();
    }
}
