package dev.taskfarm.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.chunk.ChunkPlan;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.collect.ResultDocument;
import dev.taskfarm.job.JobIds;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.Wire;
import dev.taskfarm.work.CancelledJobs;

import static dev.taskfarm.api.HttpMessages.JSON;
import static dev.taskfarm.api.HttpMessages.NDJSON;
import static dev.taskfarm.api.HttpMessages.intParam;
import static dev.taskfarm.api.HttpMessages.mediaType;
import static dev.taskfarm.api.HttpMessages.onlyQueryParameters;
import static dev.taskfarm.api.HttpMessages.param;
import static dev.taskfarm.api.HttpMessages.respond;
import static dev.taskfarm.api.HttpMessages.shown;

/**
 * What the job routes of the REST API (routes/coordinator/12-intake-rest, 60-api-jobs, 61-api-cancel)
 * cannot say simply: checking a job's request, spooling its body, the JSON views of jobs, streaming
 * results, cancelling. Parameters and responses go through {@link HttpMessages}; errors are
 * {@link ApiErrors}' business.
 */
public class JobApi {

    private static final Logger LOG = LoggerFactory.getLogger(JobApi.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final java.util.function.ToLongFunction<String> workers;
    /** Media types a job body may have (charset and other parameters are ignored). */
    static final Set<String> JOB_TYPES = Set.of(JSON, NDJSON, "application/ndjson", "application/jsonl",
            "application/x-jsonlines");
    private static final Set<String> RESULT_FILTERS = Set.of("ok", "error", "missing");
    /** What ?status= of GET /jobs may say: the states a job shows. */
    static final List<String> JOB_STATUSES = List.of(JobRow.RUNNING, "completed", "partial", "failed", "timed_out", "cancelled");
    /** Exchange property: the spooled body of POST /jobs, deleted when the request is done. */
    private static final String SPOOLED = "TaskfarmSpooledBody";
    /** How long DELETE waits for the cancelled job's result to be written. */
    private static final long CANCEL_WAIT_MS = 10_000;

    private final JobLedger ledger;
    private final JobProgress progress;
    private final ChunkPlanner chunks;
    private final BodySpool spool;
    private final ResultDocument document;
    private final CancelledJobs cancelled;
    private final int maxListed;
    private volatile dev.taskfarm.dispatch.Dispatcher dispatcher;

    public JobApi(JobLedger ledger, JobProgress progress, BodySpool spool, CancelledJobs cancelled, int maxListed,
            ChunkPlanner chunks) {
        this(ledger, progress, spool, cancelled, maxListed, chunks, compute -> -1);
    }

    /** @param workers consumers on a compute's requests queue (-1 = cannot tell), for a running job's status */
    public JobApi(JobLedger ledger, JobProgress progress, BodySpool spool, CancelledJobs cancelled, int maxListed,
            ChunkPlanner chunks, java.util.function.ToLongFunction<String> workers) {
        this.workers = workers;
        this.chunks = chunks;
        this.ledger = ledger;
        this.progress = progress;
        this.spool = spool;
        this.document = new ResultDocument(ledger);
        this.cancelled = cancelled;
        this.maxListed = maxListed;
    }

    /** The dispatcher whose windows the job views show. */
    public JobApi dispatcher(dev.taskfarm.dispatch.Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
        return this;
    }

    // ---- POST /jobs ------------------------------------------------------------------------

    /**
     * Checks the content type and the optional {@code ?id=}, then spools the body to a temp file,
     * which becomes the message body for the job intake, as a file from the inbox would.
     */
    public void receive(Exchange exchange) throws ApiException, IOException {
        Message m = exchange.getMessage();
        String type = mediaType(m.getHeader(Exchange.CONTENT_TYPE, String.class));
        if (type == null || !JOB_TYPES.contains(type)) {
            throw new ApiException(415, "a job body must be sent as application/json (a JSON array of tasks or a"
                    + " {\"tasks\": [...]} object) or application/x-ndjson (one task per line), got "
                    + (type == null ? "no Content-Type" : "\"" + type + "\""));
        }
        onlyQueryParameters(m, "POST /jobs", "id", "priority");
        String id = param(m, "id");
        if (id != null && !JobIds.isValid(id)) {
            throw ApiException.badRequest(invalidId(id));
        }
        Integer priority = priorityParam(m);
        Path file = spool.spool(m.getBody(), m.getHeader("Content-Length", Long.class));
        exchange.setProperty(SPOOLED, file);
        m.setBody(file.toFile());
        if (id != null) {
            m.setHeader(Wire.JOB_ID, id);
        } else {
            m.setHeader(dev.taskfarm.intake.JobIntake.DEFAULT_JOB_ID, JobIds.generate());
        }
        m.removeHeader("priority");
        if (priority != null) {
            m.setHeader(dev.taskfarm.intake.JobIntake.PRIORITY, priority);
        }
    }

    /** {@code ?priority=}: 1..100, or null when absent. */
    private static Integer priorityParam(Message m) throws ApiException {
        String v = param(m, "priority");
        if (v == null) {
            return null;
        }
        try {
            int p = Integer.parseInt(v.trim());
            if (p >= 1 && p <= dev.taskfarm.job.JobFile.MAX_PRIORITY) {
                return p;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.badRequest(dev.taskfarm.job.JobFile.priorityRule() + ", got \"" + shown(v) + "\"");
    }

    /** 202 with the new job's view and its location. */
    public void accepted(Exchange exchange) throws SQLException {
        String jobId = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        JobRow job = ledger.find(jobId);
        respond(exchange, 202, view(job).toString(), JSON);
        exchange.getMessage().setHeader("Location", "/jobs/" + jobId);
    }

    /** Deletes the spooled body, whatever happened to the request. */
    public void discard(Exchange exchange) throws IOException {
        Path file = exchange.getProperty(SPOOLED, Path.class);
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    // ---- GET /jobs, GET /jobs/{id} -----------------------------------------------------------

    public void list(Exchange exchange) throws ApiException, SQLException {
        Message m = exchange.getMessage();
        onlyQueryParameters(m, "GET /jobs", "limit", "status");
        int limit = intParam(m, "limit", 50, 1, maxListed);
        String status = param(m, "status");
        if (status != null && !JOB_STATUSES.contains(status)) {
            throw ApiException.badRequest("status must be one of " + String.join(", ", JOB_STATUSES) + ", got \""
                    + shown(status) + "\"");
        }
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode jobs = out.putArray("jobs");
        for (JobRow job : ledger.recent(limit, status)) {
            jobs.add(view(job));
        }
        respond(exchange, 200, out.toString(), JSON);
    }

    /** {@code {"jobs": [...]}}: the most recent jobs, as GET /jobs answers them. */
    public String listJson(int limit) throws SQLException {
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode jobs = out.putArray("jobs");
        for (JobRow job : ledger.recent(Math.min(limit, maxListed), null)) {
            jobs.add(view(job));
        }
        return out.toString();
    }

    public void status(Exchange exchange) throws ApiException, SQLException {
        onlyQueryParameters(exchange.getMessage(), "GET /jobs/{id}");
        respond(exchange, 200, view(existing(exchange)).toString(), JSON);
    }

    // ---- GET /jobs/{id}/results --------------------------------------------------------------

    /**
     * The job's results, streamed: the result file itself for a finished job asked as plain JSON,
     * else a document written from the ledger to a temp file first (so a slow client never holds a
     * ledger connection) and deleted when sent. A running job shows the results recorded so far.
     */
    public void results(Exchange exchange) throws Exception {
        Message m = exchange.getMessage();
        onlyQueryParameters(m, "GET /jobs/{id}/results", "format", "status");
        JobRow job = existing(exchange);
        ResultDocument.Format format = resultFormat(m);
        String only = param(m, "status");
        if (only != null && !RESULT_FILTERS.contains(only)) {
            throw ApiException.badRequest("status must be ok, error or missing, got \"" + only + "\"");
        }
        String type = format == ResultDocument.Format.NDJSON ? NDJSON : JSON;
        if (job.isFinal() && format == ResultDocument.Format.JSON && only == null && job.resultPath() != null
                && Files.isReadable(Path.of(job.resultPath()))) {
            respond(exchange, 200, Files.newInputStream(Path.of(job.resultPath())), type);
            return;
        }
        Files.createDirectories(spool.dir());
        Path tmp = Files.createTempFile(spool.dir(), "results-", ".json");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            String status = job.isFinal() ? job.status() : "running";
            document.write(out, job, status, job.isFinal() ? job.finishedAt() : 0, format, only);
        } catch (Exception e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        respond(exchange, 200, Files.newInputStream(tmp, StandardOpenOption.DELETE_ON_CLOSE), type);
    }

    private static ResultDocument.Format resultFormat(Message m) throws ApiException {
        String format = param(m, "format");
        if (format != null) {
            return switch (format.toLowerCase(Locale.ROOT)) {
                case "json" -> ResultDocument.Format.JSON;
                case "ndjson", "jsonl" -> ResultDocument.Format.NDJSON;
                default -> throw ApiException.badRequest("format must be json or ndjson, got \"" + format + "\"");
            };
        }
        String accept = m.getHeader("Accept", String.class);
        return accept != null && accept.contains("ndjson") ? ResultDocument.Format.NDJSON : ResultDocument.Format.JSON;
    }

    // ---- DELETE /jobs/{id} -------------------------------------------------------------------

    /**
     * Checks the job can be cancelled (404 unknown, 409 already ended) and marks it cancelled in
     * this process, so publishing stops at once; the route then closes it through the aggregator
     * and broadcasts the cancel to the workers.
     */
    public void cancel(Exchange exchange) throws ApiException, SQLException {
        onlyQueryParameters(exchange.getMessage(), "DELETE /jobs/{id}");
        JobRow job = existing(exchange);
        if (job.isFinal()) {
            throw new ApiException(409, "job \"" + job.jobId() + "\" has already ended: " + job.status());
        }
        cancelled.add(job.jobId());
        exchange.getMessage().setHeader(Wire.JOB_ID, job.jobId());
        LOG.info("Job {} cancelled through the API at {}/{} done", job.jobId(), job.done(), job.total());
    }

    /**
     * Answers a cancel with the job as it ended: the aggregator writes the result on its own
     * thread, so this waits (briefly) for the final status; a job still completing after that is
     * answered 202 with its current view.
     */
    public void cancelled(Exchange exchange) throws ApiException, SQLException, InterruptedException {
        String id = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        long deadline = System.currentTimeMillis() + CANCEL_WAIT_MS;
        JobRow job = ledger.find(id);
        while (job != null && !job.isFinal() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            job = ledger.find(id);
        }
        if (job == null) {
            throw ApiException.notFound("no job \"" + id + "\"");
        }
        respond(exchange, job.isFinal() ? 200 : 202, view(job).toString(), JSON);
    }

    // ---- views and helpers -------------------------------------------------------------------

    /** The job as the API shows it: counts, rate, ETA, times and links. */
    public ObjectNode view(JobRow job) {
        long now = System.currentTimeMillis();
        boolean finished = job.isFinal();
        long end = finished ? job.finishedAt() : now;
        double rate = JobProgress.rate(job.done(), job.createdAt(), end);
        long eta = finished ? 0 : JobProgress.etaSeconds(job.total(), job.done(), rate);
        JobProgress.Tally tally = progress.get(job.jobId());
        ObjectNode v = MAPPER.createObjectNode();
        v.put("id", job.jobId());
        v.put("status", finished ? job.status() : JobRow.RUNNING);
        v.put("compute", job.compute());
        v.put("total", job.total());
        v.put("done", job.done());
        v.put("succeeded", job.done() - job.failed());
        v.put("failed", job.failed());
        v.put(finished ? "missing" : "pending", job.total() - job.done());
        v.put("published", job.published() ? job.total() : tally != null ? tally.published() : 0);
        v.put("priority", job.priority());
        ObjectNode dispatch = dispatcher == null || finished ? null : dispatcher.view(job.jobId());
        if (dispatch != null) {
            v.set("dispatch", dispatch);
        }
        ChunkPlan plan = chunks == null ? null : chunks.find(job.jobId());
        if (plan != null) {
            v.set("chunking", plan.toJson());
        }
        v.put("percent", job.total() == 0 ? 0 : Math.floor(job.done() * 1000.0 / job.total()) / 10);
        v.put("rate", Math.round(rate * 100) / 100.0);
        if (eta >= 0) {
            v.put("etaSeconds", eta);
        } else {
            v.putNull("etaSeconds");
        }
        if (!finished) {
            // a compute nobody consumes: its tasks wait on its queue (the job still ends at its deadline)
            long n = workers.applyAsLong(job.compute());
            if (n >= 0) {
                v.put("workers", n);
            }
            if (n == 0) {
                v.put("notice", "no worker serves compute \"" + job.compute() + "\": its tasks wait on the broker until one "
                        + "starts, or the job times out");
            }
        }
        v.put("startedAt", Instant.ofEpochMilli(job.createdAt()).toString());
        if (finished) {
            v.put("finishedAt", Instant.ofEpochMilli(job.finishedAt()).toString());
        } else {
            v.putNull("finishedAt");
        }
        ObjectNode links = v.putObject("links");
        links.put("self", "/jobs/" + job.jobId());
        links.put("results", "/jobs/" + job.jobId() + "/results");
        return v;
    }

    private JobRow existing(Exchange exchange) throws ApiException, SQLException {
        String id = param(exchange.getMessage(), "id");
        if (id == null || !JobIds.isValid(id)) {
            throw ApiException.badRequest(invalidId(id));
        }
        JobRow job = ledger.find(id);
        if (job == null) {
            throw ApiException.notFound("no job \"" + id + "\"");
        }
        return job;
    }

    private static String invalidId(String id) {
        return "invalid job id \"" + shown(id) + "\": an id is 1 to 100 of A-Z a-z 0-9 . _ - and does not start with a dot";
    }
}
