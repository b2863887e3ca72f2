package dev.taskfarm.durable;

import java.util.Collection;

/**
 * What the re-drive needs to know of the coordinator's dispatcher: which jobs it is sending (a job
 * not fully published and not being sent is resumed), which need a rewind (a publish failed), and
 * that it must stop sending jobs whose lease this coordinator lost.
 */
public interface Dispatching {

    /** Whether the dispatcher has a cursor over the job's tasks (it is sending it or waiting for its replies). */
    boolean dispatching(String jobId);

    /** Whether the job's dispatch stopped (a publish failed) and waits for a rewind from the ledger. */
    boolean needsRewind(String jobId);

    /**
     * Drops the cursors of jobs that are not in {@code owned}, among those created before
     * {@code sinceMillis} (a job accepted after the owned list was read is kept).
     */
    void retain(Collection<String> owned, long sinceMillis);
}
