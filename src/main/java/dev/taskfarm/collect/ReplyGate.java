package dev.taskfarm.collect;

import java.sql.SQLException;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.Wire;

/**
 * Decides whether a reply may enter the aggregator. Only a well-formed reply for a running job,
 * for an index in range that has no result yet, is accepted: duplicates (a worker that crashed
 * between publishing its reply and acking the request) and replies for unknown or finished jobs
 * are logged and dropped, never counted. The aggregator counts every exchange it sees, so this
 * check has to come first; replies are collected by a single consumer so check and count cannot
 * interleave.
 */
public class ReplyGate {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyGate.class);

    private final JobLedger ledger;

    public ReplyGate(JobLedger ledger) {
        this.ledger = ledger;
    }

    public void check(Exchange exchange) throws SQLException {
        Message in = exchange.getMessage();
        String verdict = verdict(in);
        in.setHeader(Collect.VERDICT, verdict);
        if (!Collect.ACCEPT.equals(verdict)) {
            LOG.warn("Dropped reply {}: {}", in.getHeader("CamelSpringRabbitmqCorrelationId"), verdict);
        }
    }

    private String verdict(Message in) throws SQLException {
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        Integer index = in.getHeader(Wire.TASK_INDEX, Integer.class);
        String status = in.getHeader(Wire.STATUS, String.class);
        if (jobId == null || index == null) {
            return "malformed: the " + Wire.JOB_ID + " and " + Wire.TASK_INDEX + " headers are required";
        }
        if (!Wire.STATUS_OK.equals(status) && !Wire.STATUS_ERROR.equals(status)) {
            return "malformed: " + Wire.STATUS + " must be ok or error, got " + status;
        }
        JobRow job = ledger.find(jobId);
        if (job == null) {
            return "unknown job " + jobId;
        }
        if (!job.isRunning()) {
            return "job " + jobId + " is " + job.status();
        }
        if (index < 0 || index >= job.total()) {
            return "index " + index + " out of range, job " + jobId + " has " + job.total() + " tasks";
        }
        if (ledger.hasResult(jobId, index)) {
            return "duplicate: task " + index + " of job " + jobId + " already has a result";
        }
        in.setHeader(Wire.TASK_COUNT, job.total());
        in.setHeader(Collect.TIMEOUT_MS, Math.max(1, job.deadlineAt() - System.currentTimeMillis()));
        return Collect.ACCEPT;
    }
}
