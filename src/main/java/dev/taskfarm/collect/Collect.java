package dev.taskfarm.collect;

/** Names shared by the collector's beans and routes. */
public final class Collect {

    /** Header the reply gate sets: {@link #ACCEPT} or the reason the reply is dropped. */
    public static final String VERDICT = "TaskfarmVerdict";
    public static final String ACCEPT = "accept";
    /** Header with the milliseconds left until the job's deadline (the aggregator's completion timeout). */
    public static final String TIMEOUT_MS = "TaskfarmTimeoutMs";
    /** Header asking the aggregator to end a job now; value is the reason (timeout, cancel, recovered). */
    public static final String CLOSE = "TaskfarmClose";

    /** Exchange property: the task result the repository must record with this aggregation. */
    static final String PENDING_RESULT = "TaskfarmPendingResult";
    /** Exchange property: set when this aggregated exchange won the right to finish the job. */
    static final String CLAIMED = "TaskfarmClaimed";
    /** Exchange property: why the job is being closed early. */
    static final String CLOSE_REASON = "TaskfarmCloseReason";

    private Collect() {
    }

    /** Stable exchange id of a job's aggregate, so recovery can map it back to the job. */
    static String exchangeId(String jobId) {
        return "taskfarm-job-" + jobId;
    }

    static String jobIdOf(String exchangeId) {
        return exchangeId.startsWith("taskfarm-job-") ? exchangeId.substring("taskfarm-job-".length()) : null;
    }
}
