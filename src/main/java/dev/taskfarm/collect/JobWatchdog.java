package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;

/**
 * Finds running jobs that the aggregator's own completion timeout cannot end: a job that never
 * received a single reply (no aggregate exists to time out), or one whose last result was
 * recorded just before a crash. The watchdog route sends each into the aggregator with a close
 * request, so every job ends through the same Aggregator EIP path.
 */
public class JobWatchdog {

    private final JobLedger ledger;
    private final long graceMs;

    public JobWatchdog(JobLedger ledger, long graceMs) {
        this.ledger = ledger;
        this.graceMs = graceMs;
    }

    /** Ids of running jobs that are past their deadline (plus grace) or have every result. */
    public List<String> stalledJobs() throws SQLException {
        long now = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        for (JobRow job : ledger.inStatus(JobRow.RUNNING)) {
            if (job.done() >= job.total() || now > job.deadlineAt() + graceMs) {
                ids.add(job.jobId());
            }
        }
        return ids;
    }
}
