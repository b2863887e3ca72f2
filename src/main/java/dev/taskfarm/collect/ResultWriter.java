package dev.taskfarm.collect;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

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
 *
 * <p>Large jobs (at least {@code ndjsonFrom} tasks, or all jobs with format {@code ndjson}) get
 * {@code <outbox>/<jobId>.result.ndjson} instead: the first line is the summary object (the JSON
 * form without {@code results}), then one line per task, so a reader can stream it too.
 */
public class ResultWriter {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");
    private static final JsonFactory JSON = new JsonFactory();

    /** Told about every result file written (for example by the benchmark). */
    public interface Listener {
        void written(JobRow job, String status, Path file, JobProgress.Tally tally);
    }

    private final JobLedger ledger;
    private final ResultDocument document;
    private final JobProgress progress;
    private final Path outbox;
    private final long ndjsonFrom;
    private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public ResultWriter(JobLedger ledger, JobProgress progress, Path outbox) {
        this(ledger, progress, outbox, Long.MAX_VALUE);
    }

    /**
     * @param ndjsonFrom jobs with at least this many tasks get an NDJSON result (0: every job,
     *                   {@code Long.MAX_VALUE}: none)
     */
    public ResultWriter(JobLedger ledger, JobProgress progress, Path outbox, long ndjsonFrom) {
        this.ledger = ledger;
        this.document = new ResultDocument(ledger);
        this.progress = progress;
        this.outbox = outbox;
        this.ndjsonFrom = ndjsonFrom;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
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
        boolean ndjson = job.total() >= ndjsonFrom;
        String name = jobId + (ndjson ? ".result.ndjson" : ".result.json");
        Path target = outbox.resolve(name);
        if (Files.exists(target)) {
            // written before a crash that came before the ledger heard of it: a result file is final
            LOG.info("Job {} {}: result {} was already written, kept as it is", jobId, status, target);
            ledger.finish(jobId, status, target.toString(), Files.getLastModifiedTime(target).toMillis());
            progress.finished(jobId, status);
            return;
        }
        Path tmp = outbox.resolve("." + name + ".tmp");
        int missing;
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 64 * 1024)) {
            if (ndjson) {
                writeSummaryLine(out, job, status, finishedAt);
            }
            // the NDJSON document ends each line with a newline itself
            missing = document.write(keepOpen(out), job, status, finishedAt,
                    ndjson ? ResultDocument.Format.NDJSON : ResultDocument.Format.JSON, null);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        ledger.finish(jobId, status, target.toString(), finishedAt);
        JobProgress.Tally tally = progress.get(jobId);
        progress.finished(jobId, status);
        exchange.getMessage().setHeader("TaskfarmJobStatus", status);
        exchange.getMessage().setHeader("TaskfarmResultFile", target.toString());
        LOG.info("Job {} {}: {}/{} succeeded, {} failed{} in {} ms{} -> {}", jobId, status, job.done() - job.failed(),
                job.total(), job.failed(), missing > 0 ? ", " + missing + " missing" : "",
                finishedAt - job.createdAt(), roundTrips(tally), target);
        for (Listener l : listeners) {
            l.written(job, status, target, tally);
        }
    }

    private static String roundTrips(JobProgress.Tally tally) {
        long p50 = tally == null ? -1 : tally.roundTripMicros(0.5);
        return p50 < 0 ? "" : String.format(", task round trip p50 %.1f ms, p99 %.1f ms", p50 / 1000.0,
                tally.roundTripMicros(0.99) / 1000.0);
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

    /** The document closes what it writes to; the summary line's stream stays usable around it. */
    private static OutputStream keepOpen(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    /** The first line of an NDJSON result: the job's summary; one line per task follows. */
    private static void writeSummaryLine(OutputStream out, JobRow job, String status, long finishedAt) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)
                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            g.writeStartObject();
            ResultDocument.summaryFields(g, job, status, finishedAt);
            g.writeEndObject();
        }
        out.write('\n');
    }
}
