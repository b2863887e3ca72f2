package dev.taskfarm.intake;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import dev.taskfarm.wire.BatchCursor;
import dev.taskfarm.wire.RequestBatch;

/**
 * The requests of a re-drive: only the tasks whose index has no recorded result, streamed from the
 * job's input, in batches of consecutive indexes (one task per message).
 */
final class MissingRequests implements BatchCursor {

    private final Iterator<String> tasks;
    private final BitSet recorded;
    private final String jobId;
    private final String compute;
    private final int taskCount;
    private final int batchSize;
    private int index;

    MissingRequests(Iterator<String> tasks, BitSet recorded, String jobId, String compute, int taskCount, int batchSize) {
        this.tasks = tasks;
        this.recorded = recorded;
        this.jobId = jobId;
        this.compute = compute;
        this.taskCount = taskCount;
        this.batchSize = Math.max(1, batchSize);
    }

    /** Skips the tasks that have a result; true when a task without one follows. */
    @Override
    public boolean hasNext() {
        while (tasks.hasNext() && recorded.get(index)) {
            tasks.next();
            index++;
        }
        return tasks.hasNext();
    }

    @Override
    public RequestBatch next() {
        return next(batchSize);
    }

    @Override
    public RequestBatch next(int maxMessages, int maxTasks) {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int max = Math.max(1, Math.min(Math.min(maxMessages, maxTasks), batchSize));
        int first = index;
        List<String> bodies = new ArrayList<>();
        while (bodies.size() < max && tasks.hasNext() && !recorded.get(index)) {
            bodies.add(tasks.next());
            index++;
        }
        return new RequestBatch(jobId, compute, taskCount, 1, first, bodies);
    }

    @Override
    public void close() throws IOException {
        if (tasks instanceof Closeable c) {
            c.close();
        }
    }
}
