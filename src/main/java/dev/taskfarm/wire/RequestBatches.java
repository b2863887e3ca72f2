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
 *
 * <p>With {@link Sizes} (adaptive chunking) the bodies are built here from the job's tasks, each
 * message as many tasks as the sizes say (one task = a plain request); a batch holds messages of
 * one size, so a new size starts a new batch.
 */
public final class RequestBatches implements BatchCursor {

    /** Tasks per request message, message by message. */
    public interface Sizes {
        /**
         * Tasks in the next message (1 .. remaining), given the tasks not yet in a message; or 0:
         * publish the messages built so far first, then ask again (the answer may then wait for
         * what their replies report).
         */
        int next(int remaining);
    }

    private final Iterator<String> bodies;
    private final String jobId;
    private final String compute;
    private final int taskCount;
    private final int chunkSize;
    private final int batchSize;
    private final Sizes sizes;
    private int nextIndex;
    private int pendingSize;

    public RequestBatches(Iterator<String> bodies, String jobId, String compute, int taskCount, int chunkSize,
            int batchSize) {
        this(bodies, jobId, compute, taskCount, chunkSize, batchSize, null);
    }

    private RequestBatches(Iterator<String> bodies, String jobId, String compute, int taskCount, int chunkSize,
            int batchSize, Sizes sizes) {
        this.bodies = bodies;
        this.jobId = jobId;
        this.compute = compute;
        this.taskCount = taskCount;
        this.chunkSize = Math.max(1, chunkSize);
        this.batchSize = Math.max(1, batchSize);
        this.sizes = sizes;
    }

    /** Batches of messages sized by {@code sizes}, built from the job's task bodies. */
    public static RequestBatches sized(Iterator<String> tasks, String jobId, String compute, int taskCount, Sizes sizes,
            int batchSize) {
        return new RequestBatches(tasks, jobId, compute, taskCount, 1, batchSize, sizes);
    }

    @Override
    public boolean hasNext() {
        return bodies.hasNext();
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
        int batchSize = Math.max(1, Math.min(maxMessages, this.batchSize));
        if (sizes != null) {
            return nextSized(batchSize, maxTasks);
        }
        List<String> batch = new ArrayList<>((int) Math.min(batchSize, 1L + maxTasks / chunkSize));
        while (batch.size() < batchSize && bodies.hasNext() && (batch.isEmpty() || batch.size() * chunkSize < maxTasks)) {
            batch.add(bodies.next());
        }
        RequestBatch b = new RequestBatch(jobId, compute, taskCount, chunkSize, nextIndex, batch);
        nextIndex += b.tasks();
        return b;
    }

    private RequestBatch nextSized(int batchSize, int maxTasks) {
        List<String> batch = new ArrayList<>();
        int first = nextIndex;
        int size = 0;
        while (batch.size() < batchSize && bodies.hasNext() && (batch.isEmpty() || nextIndex - first < maxTasks)) {
            int remaining = Math.max(1, taskCount - nextIndex);
            int s = pendingSize > 0 ? pendingSize : sizes.next(remaining);
            pendingSize = 0;
            if (s <= 0 && batch.isEmpty()) {
                s = sizes.next(remaining);
            }
            if (s <= 0) {
                break;
            }
            s = Math.min(s, remaining);
            if (!batch.isEmpty() && s != size) {
                pendingSize = s;
                break;
            }
            size = s;
            batch.add(size == 1 ? bodies.next() : chunk(size));
            nextIndex += size;
        }
        return new RequestBatch(jobId, compute, taskCount, Math.max(1, size), first, batch);
    }

    /** The next {@code size} tasks as one JSON array (fewer if the job ends first). */
    private String chunk(int size) {
        StringBuilder sb = new StringBuilder(size * 48).append('[');
        for (int n = 0; n < size && bodies.hasNext(); n++) {
            sb.append(n == 0 ? "" : ",").append(bodies.next());
        }
        return sb.append(']').toString();
    }

    @Override
    public void close() throws IOException {
        if (bodies instanceof Closeable c) {
            c.close();
        }
    }
}
