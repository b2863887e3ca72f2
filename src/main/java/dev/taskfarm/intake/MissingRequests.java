package dev.taskfarm.intake;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import dev.taskfarm.wire.RequestBatch;

/**
 * The requests of a re-drive: only the tasks whose index has no recorded result, streamed from the
 * job's input, in batches of consecutive indexes (one task per message).
 */
final class MissingRequests implements Iterator<RequestBatch>, Closeable {

    private final Iterator<String> tasks;
    private final BitSet recorded;
    private final String jobId;
    private final String compute;
    private final int taskCount;
    private final int batchSize;
    private int index;
    private RequestBatch next;

    MissingRequests(Iterator<String> tasks, BitSet recorded, String jobId, String compute, int taskCount, int batchSize) {
        this.tasks = tasks;
        this.recorded = recorded;
        this.jobId = jobId;
        this.compute = compute;
        this.taskCount = taskCount;
        this.batchSize = Math.max(1, batchSize);
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = read();
        }
        return next != null;
    }

    @Override
    public RequestBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RequestBatch b = next;
        next = null;
        return b;
    }

    private RequestBatch read() {
        while (tasks.hasNext() && recorded.get(index)) {
            tasks.next();
            index++;
        }
        if (!tasks.hasNext()) {
            return null;
        }
        int first = index;
        List<String> bodies = new ArrayList<>();
        while (bodies.size() < batchSize && tasks.hasNext() && !recorded.get(index)) {
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
