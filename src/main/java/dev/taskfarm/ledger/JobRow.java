package dev.taskfarm.ledger;

/**
 * One job as the ledger knows it.
 *
 * @param jobId       the job id
 * @param compute     compute name
 * @param total       number of tasks
 * @param done        tasks with a recorded result (ok or error)
 * @param failed      tasks whose result is an error
 * @param status      {@code running}, {@code completing} or a final status
 * @param published   whether every task has been published
 * @param createdAt   epoch millis the job was accepted
 * @param deadlineAt  epoch millis the job times out
 * @param finishedAt  epoch millis the job ended, or 0
 * @param completedBy why the aggregation completed (size, timeout, cancel, ...), or null
 * @param resultPath  the result file, once written
 * @param priority    the job's share weight of the dispatch windows (1 by default)
 */
public record JobRow(String jobId, String compute, int total, int done, int failed, String status,
        boolean published, long createdAt, long deadlineAt, long finishedAt, String completedBy, String resultPath,
        int priority) {

    public JobRow(String jobId, String compute, int total, int done, int failed, String status, boolean published,
            long createdAt, long deadlineAt, long finishedAt, String completedBy, String resultPath) {
        this(jobId, compute, total, done, failed, status, published, createdAt, deadlineAt, finishedAt, completedBy,
                resultPath, 1);
    }

    public static final String RUNNING = "running";
    public static final String COMPLETING = "completing";

    public boolean isRunning() {
        return RUNNING.equals(status);
    }

    public boolean isFinal() {
        return !RUNNING.equals(status) && !COMPLETING.equals(status);
    }
}
