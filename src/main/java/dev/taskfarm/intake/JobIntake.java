package dev.taskfarm.intake;

import java.io.File;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.job.BadJobException;
import dev.taskfarm.job.JobExistsException;
import dev.taskfarm.job.JobFile;
import dev.taskfarm.job.JobIds;
import dev.taskfarm.job.JobSpec;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.RequestBatches;
import dev.taskfarm.wire.Wire;

/**
 * Accepts a job input file: validates all of it before a single task is published, picks the job
 * id, compute and timeout, and registers the job in the ledger. A job id that exists already is
 * refused, except a job whose publishing was interrupted by a crash: that one is published again
 * (the collector ignores results it already has).
 */
public class JobIntake {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");

    private final JobLedger ledger;
    private final ComputeRegistry computes;
    private final JobProgress progress;
    private final String defaultCompute;
    private final Duration defaultTimeout;
    private final int defaultChunkSize;
    private final int batchSize;

    /**
     * @param batchSize request messages per split part of the publish route (each still its own
     *                  message on the wire; a batch spares a Camel exchange per message)
     */
    public JobIntake(JobLedger ledger, ComputeRegistry computes, JobProgress progress, String defaultCompute,
            Duration defaultTimeout, int defaultChunkSize, int batchSize) {
        this.batchSize = Math.max(1, batchSize);
        this.ledger = ledger;
        this.computes = computes;
        this.progress = progress;
        this.defaultCompute = defaultCompute;
        this.defaultTimeout = defaultTimeout;
        this.defaultChunkSize = Math.max(1, defaultChunkSize);
    }

    /**
     * Validates and registers the job in the message body (a file), setting the job headers.
     * The job id comes from the header {@code TaskfarmJobId} when a caller chose one, else from
     * the input's "id", else from the header {@code TaskfarmDefaultJobId}, else from the file name. Tasks per request message: the input's
     * "chunkSize", else the header {@code TaskfarmChunkSize} a caller set, else the configured default.
     */
    /** Header: the job id to use when neither the caller nor the input chose one. */
    public static final String DEFAULT_JOB_ID = "TaskfarmDefaultJobId";

    public void accept(Exchange exchange) throws BadJobException, SQLException {
        Message in = exchange.getMessage();
        Path file = in.getBody(File.class).toPath();
        JobSpec spec = JobFile.inspect(file);
        // a caller's explicit choice (?id=) wins over the input's "id", so the same file can run again
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        if (jobId == null) {
            jobId = spec.jobId() != null ? spec.jobId() : in.getHeader(DEFAULT_JOB_ID, String.class);
        }
        if (jobId == null) {
            jobId = JobIds.fromFileName(in.getHeader(Exchange.FILE_NAME_ONLY, file.getFileName().toString(), String.class));
        }
        in.removeHeader(DEFAULT_JOB_ID);
        String compute = spec.compute() != null ? spec.compute() : defaultCompute;
        if (!computes.isKnown(compute)) {
            throw new BadJobException("unknown compute \"" + compute + "\"; known: " + String.join(", ", computes.names()));
        }
        Duration timeout = spec.timeout() != null ? spec.timeout() : defaultTimeout;
        long now = System.currentTimeMillis();
        if (!ledger.register(jobId, compute, spec.taskCount(), now, now + timeout.toMillis())) {
            JobRow existing = ledger.find(jobId);
            if (existing == null || !existing.isRunning() || existing.published()) {
                throw new JobExistsException("job \"" + jobId + "\" was already submitted (status "
                        + (existing == null ? "unknown" : existing.status())
                        + "); a job id runs once: rename the file or choose another id");
            }
            LOG.warn("Job {} was registered but not fully published (coordinator restart?): publishing it again", jobId);
        }
        int chunk = spec.chunkSize() > 0 ? spec.chunkSize() : in.getHeader(Wire.CHUNK_SIZE, defaultChunkSize, Integer.class);
        chunk = Math.max(1, Math.min(chunk, JobFile.MAX_CHUNK));
        progress.track(jobId, spec.taskCount(), 0, 0, now);
        in.setHeader(Wire.JOB_ID, jobId);
        in.setHeader(Wire.TASK_COUNT, spec.taskCount());
        in.setHeader(Wire.COMPUTE, compute);
        if (chunk > 1) {
            in.setHeader(Wire.CHUNK_SIZE, chunk);
        } else {
            in.removeHeader(Wire.CHUNK_SIZE);
        }
        LOG.info("Job {} accepted: {} tasks ({}), compute {}, timeout {}{}", jobId, spec.taskCount(),
                spec.format().name().toLowerCase(), compute, timeout, chunk > 1 ? ", " + chunk + " tasks per message" : "");
    }

    /** Marks the job as fully published. */
    public void published(Exchange exchange) throws SQLException {
        String jobId = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        ledger.markPublished(jobId);
        LOG.info("Job {} published: {} tasks on the requests queue", jobId,
                exchange.getMessage().getHeader(Wire.TASK_COUNT));
    }

    /**
     * The job's request messages (one per task, or per chunk of tasks) in batches, streamed from
     * the file for the publish route's splitter.
     */
    public RequestBatches requests(Exchange exchange) throws java.io.IOException {
        Message m = exchange.getMessage();
        Path file = m.getBody(File.class).toPath();
        int chunk = m.getHeader(Wire.CHUNK_SIZE, 1, Integer.class);
        return new RequestBatches(chunk > 1 ? JobFile.chunks(file, chunk) : JobFile.tasks(file),
                m.getHeader(Wire.JOB_ID, String.class), m.getHeader(Wire.COMPUTE, String.class),
                m.getHeader(Wire.TASK_COUNT, Integer.class), chunk, batchSize);
    }
}
