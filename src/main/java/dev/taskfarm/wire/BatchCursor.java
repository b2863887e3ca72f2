package dev.taskfarm.wire;

import java.io.Closeable;
import java.util.Iterator;

/**
 * A job's request batches read on demand from its input: the dispatcher asks for as many messages
 * as the job's window has room for, never more, so a job is never read further than it is sent.
 */
public interface BatchCursor extends Iterator<RequestBatch>, Closeable {

    /** The next batch of at most {@code maxMessages} request messages (at least one). */
    default RequestBatch next(int maxMessages) {
        return next(maxMessages, Integer.MAX_VALUE);
    }

    /**
     * The next batch: at least one request message, at most {@code maxMessages}, and no further
     * message once the batch holds {@code maxTasks} tasks.
     */
    RequestBatch next(int maxMessages, int maxTasks);
}
