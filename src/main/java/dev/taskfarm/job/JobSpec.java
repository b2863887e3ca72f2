package dev.taskfarm.job;

import java.time.Duration;

/**
 * What a validated job input says about the job, without its tasks.
 *
 * @param taskCount number of tasks (at least one)
 * @param compute   compute named by the input, or null for the configured default
 * @param timeout   job timeout named by the input, or null for the configured default
 * @param jobId     job id named by the input, or null to take it from the file name
 * @param format    the input format that was detected
 * @param chunkSize tasks per request message named by the input ({@code "chunkSize"}), or 0 for the default
 * @param priority  the job's share weight named by the input ({@code "priority"}, 1..{@link JobFile#MAX_PRIORITY}),
 *                  or 0 for the default
 */
public record JobSpec(int taskCount, String compute, Duration timeout, String jobId, Format format, int chunkSize,
        int priority) {

    public JobSpec(int taskCount, String compute, Duration timeout, String jobId, Format format) {
        this(taskCount, compute, timeout, jobId, format, 0, 0);
    }

    public JobSpec(int taskCount, String compute, Duration timeout, String jobId, Format format, int chunkSize) {
        this(taskCount, compute, timeout, jobId, format, chunkSize, 0);
    }

    public enum Format { ARRAY, OBJECT, NDJSON }
}
