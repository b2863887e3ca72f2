package dev.taskfarm.collect;

import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.Wire;

/**
 * Writes a completed job's result file, {@code <outbox>/<jobId>.result.json}, streaming the
 * results from the ledger in index order (so a million-task job needs no more memory than a small
 * one). The file is written under a temporary name and renamed, so a reader never sees half a
 * result. Tasks without a result (timeout, cancel) are listed with status {@code missing}.
 */
public class ResultWriter {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");
    private final JobLedger ledger;
    private final ResultDocument document;
    private final JobProgress progress;
    private final Path outbox;

    public ResultWriter(JobLedger ledger, JobProgress progress, Path outbox) {
        this.ledger = ledger;
        this.document = new ResultDocument(ledger);
        this.progress = progress;
        this.outbox = outbox;
    }

    public void write(Exchange exchange) throws Exception {
        String jobId = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        if (!exchange.getProperty(Collect.CLAIMED, false, Boolean.class)) {
            LOG.debug("Job {} was already completed elsewhere; not writing it again", jobId);
            return;
        }
        JobRow job = ledger.find(jobId);
        if (job == null || !JobRow.COMPLETING.equals(job.status())) {
            return;
        }
        String completedBy = job.completedBy() != null ? job.completedBy()
                : exchange.getProperty(ExchangePropertyKey.AGGREGATED_COMPLETED_BY, String.class);
        String status = finalStatus(job, completedBy);
        long finishedAt = System.currentTimeMillis();
        Files.createDirectories(outbox);
        Path target = outbox.resolve(jobId + ".result.json");
        Path tmp = outbox.resolve("." + jobId + ".result.json.tmp");
        int missing;
        try (OutputStream out = Files.newOutputStream(tmp)) {
            missing = document.write(out, job, status, finishedAt, ResultDocument.Format.JSON, null);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        ledger.finish(jobId, status, target.toString(), finishedAt);
        progress.finished(jobId, status);
        exchange.getMessage().setHeader("TaskfarmJobStatus", status);
        exchange.getMessage().setHeader("TaskfarmResultFile", target.toString());
        LOG.info("Job {} {}: {}/{} succeeded, {} failed{} in {} ms -> {}", jobId, status, job.done() - job.failed(),
                job.total(), job.failed(), missing > 0 ? ", " + missing + " missing" : "",
                finishedAt - job.createdAt(), target);
    }

    static String finalStatus(JobRow job, String completedBy) {
        if (job.done() < job.total()) {
            return "cancel".equals(completedBy) ? "cancelled" : "timed_out";
        }
        if (job.failed() == 0) {
            return "completed";
        }
        return job.failed() == job.total() ? "failed" : "partial";
    }
}
