package dev.taskfarm.wire;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Groups a job's request bodies (tasks or chunks, streamed from the job file) into batches of at
 * most {@code batchSize} messages for the publish route's splitter, which closes it when done.
 */
public final class RequestBatches implements Iterator<RequestBatch>, Closeable {

    private final Iterator<String> bodies;
    private final String jobId;
    private final String compute;
    private final int taskCount;
    private final int chunkSize;
    private final int batchSize;
    private int nextIndex;

    public RequestBatches(Iterator<String> bodies, String jobId, String compute, int taskCount, int chunkSize,
            int batchSize) {
        this.bodies = bodies;
        this.jobId = jobId;
        this.compute = compute;
        this.taskCount = taskCount;
        this.chunkSize = Math.max(1, chunkSize);
        this.batchSize = Math.max(1, batchSize);
    }

    @Override
    public boolean hasNext() {
        return bodies.hasNext();
    }

    @Override
    public RequestBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        List<String> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize && bodies.hasNext()) {
            batch.add(bodies.next());
        }
        RequestBatch b = new RequestBatch(jobId, compute, taskCount, chunkSize, nextIndex, batch);
        nextIndex += b.tasks();
        return b;
    }

    @Override
    public void close() throws IOException {
        if (bodies instanceof Closeable c) {
            c.close();
        }
    }
}
