package dev.taskfarm.collect;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;

/**
 * Writes a job's results, streamed from the ledger in index order, as the result document
 * ({@code {"jobId", "status", ..., "results": [...]}}, the format of {@code <job>.result.json}) or
 * as NDJSON (one result object per line). Used by the result writer and by
 * {@code GET /jobs/{id}/results}, so both always say the same thing.
 */
public final class ResultDocument {

    public enum Format { JSON, NDJSON }

    private static final JsonFactory JSON = new JsonFactory();

    private final JobLedger ledger;

    public ResultDocument(JobLedger ledger) {
        this.ledger = ledger;
    }

    /** The job's summary fields: id, status, compute, counts, start and (once finished) end. */
    static void summaryFields(JsonGenerator g, JobRow job, String status, long finishedAt) throws java.io.IOException {
        boolean finished = finishedAt > 0;
        g.writeStringField("jobId", job.jobId());
        g.writeStringField("status", status);
        g.writeStringField("compute", job.compute());
        g.writeNumberField("total", job.total());
        g.writeNumberField("succeeded", job.done() - job.failed());
        g.writeNumberField("failed", job.failed());
        g.writeNumberField(finished ? "missing" : "pending", job.total() - job.done());
        g.writeStringField("startedAt", Instant.ofEpochMilli(job.createdAt()).toString());
        if (finished) {
            g.writeStringField("finishedAt", Instant.ofEpochMilli(finishedAt).toString());
        }
    }

    /**
     * Writes the document.
     *
     * @param status     the job status to state (its final status, or running)
     * @param finishedAt epoch millis the job finished, or 0 while it runs
     * @param only       write only results with this status (ok, error, missing), or null for all
     * @return the number of tasks without a result that were listed as missing
     */
    public int write(OutputStream out, JobRow job, String status, long finishedAt, Format format, String only)
            throws Exception {
        boolean finished = finishedAt > 0;
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            if (format == Format.NDJSON) {
                g.setPrettyPrinter(new MinimalPrettyPrinter("\n"));
            } else {
                g.writeStartObject();
                summaryFields(g, job, status, finishedAt);
                g.writeArrayFieldStart("results");
            }
            int[] next = {0};
            int[] missing = {0};
            int[] written = {0};
            boolean listMissing = finished && (only == null || "missing".equals(only));
            ledger.forEachResult(job.jobId(), (index, st, result, error) -> {
                if (listMissing) {
                    missing[0] += writeMissing(g, next[0], index);
                }
                next[0] = index + 1;
                if (only != null && !only.equals(st)) {
                    return;
                }
                g.writeStartObject();
                g.writeNumberField("index", index);
                g.writeStringField("status", st);
                if (result != null) {
                    g.writeFieldName("result");
                    g.writeRawValue(result);
                }
                if (error != null) {
                    g.writeStringField("error", error);
                }
                g.writeEndObject();
                written[0]++;
            });
            if (listMissing) {
                missing[0] += writeMissing(g, next[0], job.total());
            }
            if (format == Format.JSON) {
                g.writeEndArray();
                g.writeEndObject();
            } else if (written[0] + missing[0] > 0) {
                g.writeRaw('\n');
            }
            return missing[0];
        }
    }

    private static int writeMissing(JsonGenerator g, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            g.writeStartObject();
            g.writeNumberField("index", i);
            g.writeStringField("status", "missing");
            g.writeEndObject();
        }
        return Math.max(0, to - from);
    }
}
