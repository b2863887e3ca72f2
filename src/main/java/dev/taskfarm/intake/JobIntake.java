package dev.taskfarm.intake;

import java.io.File;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.chunk.ChunkPlan;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.job.BadJobException;
import dev.taskfarm.job.JobExistsException;
import dev.taskfarm.job.JobFile;
import dev.taskfarm.job.JobIds;
import dev.taskfarm.job.JobSpec;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.BatchCursor;
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
    /** Exchange property: the job's {@link ChunkPlan}, from accept to publishing. */
    public static final String PLAN = "TaskfarmChunkPlan";

    /** Header: the input belongs to this existing job (its status); nothing is published for it. */
    public static final String KNOWN_JOB = "TaskfarmKnownJob";
    /**
     * Header: the job's priority (1..{@link JobFile#MAX_PRIORITY}), its share weight of the dispatch
     * windows. Set by a caller (REST {@code ?priority=}, CLI {@code --priority}); the input's
     * {@code "priority"} wins; after {@link #accept} it holds the job's priority.
     */
    public static final String PRIORITY = "TaskfarmPriority";
    /** Exchange property of a re-drive: the indexes that have a result (BitSet); only the others are published. */
    public static final String RECORDED = "TaskfarmRecorded";

    private final JobLedger ledger;
    private final ComputeRegistry computes;
    private final JobProgress progress;
    private final String defaultCompute;
    private final Duration defaultTimeout;
    private final int defaultChunkSize;
    private final int batchSize;
    private int autoBatchSize;
    private final ChunkPlanner chunks;
    private Admission admission;
    private JobKeeper keeper;

    /**
     * @param defaultChunkSize tasks per request message when a job sets none; 0 = auto (sized from
     *                         the compute's measured cost by the {@link ChunkPlanner})
     * @param batchSize        request messages per split part of the publish route (each still its own
     *                         message on the wire; a batch spares a Camel exchange per message)
     */
    public JobIntake(JobLedger ledger, ComputeRegistry computes, JobProgress progress, String defaultCompute,
            Duration defaultTimeout, int defaultChunkSize, int batchSize, ChunkPlanner chunks) {
        this.batchSize = Math.max(1, batchSize);
        this.autoBatchSize = this.batchSize;
        this.chunks = chunks;
        this.ledger = ledger;
        this.computes = computes;
        this.progress = progress;
        this.defaultCompute = defaultCompute;
        this.defaultTimeout = defaultTimeout;
        this.defaultChunkSize = Math.max(0, defaultChunkSize);
    }

    /** Checks every job against its compute and the limits before it is registered (see {@link Admission}). */
    public JobIntake admission(Admission admission) {
        this.admission = admission;
        return this;
    }

    /**
     * Request messages per split part of an auto-chunked job (else the batch size): each part's
     * chunks are sized with the compute cost measured so far, so smaller parts follow it sooner.
     */
    public JobIntake autoBatchSize(int messages) {
        this.autoBatchSize = Math.max(1, messages);
        return this;
    }

    /** Keeps each job's input and owns it (set by the durable configuration). */
    public void setKeeper(JobKeeper keeper) {
        this.keeper = keeper;
    }

    /**
     * Validates and registers the job in the message body (a file), setting the job headers.
     * The job id comes from the header {@code TaskfarmJobId} when a caller chose one, else from
     * the input's "id", else from the header {@code TaskfarmDefaultJobId}, else from the file name. Tasks per request message: the input's
     * "chunkSize", else the header {@code TaskfarmChunkSize} a caller set, else the configured default
     * ({@code auto}: sized message by message, see {@link ChunkPlan}).
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
        if (admission != null) {
            admission.check(file, spec, compute);
        }
        Duration timeout = spec.timeout() != null ? spec.timeout() : defaultTimeout;
        int priority = priority(spec, in);
        long now = System.currentTimeMillis();
        String digest = keep(jobId, file, exchange);
        String id = jobId;
        // the row and its ownership in one commit
        if (!ledger.register(jobId, compute, spec.taskCount(), now, now + timeout.toMillis(), priority,
                keeper == null ? null : c -> keeper.registered(c, id, digest))) {
            JobRow existing = ledger.find(jobId);
            if (existing != null && isItsInputAgain(jobId, digest, in)) {
                // a crash between publishing and moving the file: the ledger and the kept input
                // drive the job to its end, the file goes where an accepted file goes
                LOG.info("Job file {} is the input of job {} (status {}): nothing to publish again", file.getFileName(),
                        jobId, existing.status());
                in.setHeader(KNOWN_JOB, existing.status());
                in.setHeader(Wire.JOB_ID, jobId);
                return;
            }
            discard(jobId, digest);
            if (existing == null || !existing.isRunning() || existing.published()) {
                throw new JobExistsException("job \"" + jobId + "\" was already submitted (status "
                        + (existing == null ? "unknown" : existing.status())
                        + "); a job id runs once: rename the file or choose another id");
            }
            LOG.warn("Job {} was registered but not fully published (coordinator restart?): publishing it again", jobId);
        }
        Integer asked = spec.chunkSize() > 0 ? Integer.valueOf(spec.chunkSize()) : in.getHeader(Wire.CHUNK_SIZE, Integer.class);
        int explicit = asked != null && asked > 0 ? Math.min(asked, JobFile.MAX_CHUNK) : defaultChunkSize;
        ChunkPlan plan = chunks.plan(jobId, compute, spec.taskCount(), explicit);
        exchange.setProperty(PLAN, plan);
        int chunk = plan.fixedSize();
        progress.track(jobId, spec.taskCount(), 0, 0, now);
        in.setHeader(Wire.JOB_ID, jobId);
        in.setHeader(Wire.TASK_COUNT, spec.taskCount());
        in.setHeader(Wire.COMPUTE, compute);
        in.setHeader(PRIORITY, priority);
        if (chunk > 1) {
            in.setHeader(Wire.CHUNK_SIZE, chunk);
        } else {
            in.removeHeader(Wire.CHUNK_SIZE);
        }
        LOG.info("Job {} accepted: {} tasks ({}), compute {}, timeout {}, priority {}{}", jobId, spec.taskCount(),
                spec.format().name().toLowerCase(), compute, timeout, priority,
                plan.isAuto() ? ", chunk size auto" : chunk > 1 ? ", " + chunk + " tasks per message" : "");
    }

    /** The input's "priority", else the caller's header, else 1; a bad header value is refused. */
    private static int priority(JobSpec spec, Message in) throws BadJobException {
        if (spec.priority() > 0) {
            return spec.priority();
        }
        Object asked = in.getHeader(PRIORITY);
        if (asked == null) {
            return 1;
        }
        try {
            int p = Integer.parseInt(asked.toString().trim());
            if (p >= 1 && p <= JobFile.MAX_PRIORITY) {
                return p;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new BadJobException(JobFile.priorityRule() + ", got \"" + asked + "\"");
    }

    private String keep(String jobId, Path file, Exchange exchange) {
        try {
            return keeper == null ? null : keeper.keep(jobId, file, exchange);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot keep the input of job " + jobId, e);
        }
    }

    /** An inbox file with the very input the job was registered with. */
    private boolean isItsInputAgain(String jobId, String digest, Message in) throws SQLException {
        return digest != null && in.getHeader(Exchange.FILE_NAME_CONSUMED) != null
                && digest.equals(keeper.digestOf(jobId));
    }

    private void discard(String jobId, String digest) {
        if (keeper != null && digest != null) {
            keeper.discard(jobId, digest);
        }
    }

    /**
     * The job's request messages (one per task, or per chunk of tasks) in batches, streamed from
     * the file; null for an input that belongs to a known job (nothing to send). The dispatcher
     * reads it as far as the job's window allows.
     */
    public BatchCursor cursor(Exchange exchange) throws java.io.IOException {
        Message m = exchange.getMessage();
        if (m.getHeader(KNOWN_JOB) != null) {
            return null;
        }
        java.util.BitSet recorded = exchange.getProperty(RECORDED, java.util.BitSet.class);
        if (recorded != null) {
            // a re-drive: only the tasks without a result, one per message
            return new MissingRequests(JobFile.tasks(m.getBody(File.class).toPath()), recorded,
                    m.getHeader(Wire.JOB_ID, String.class), m.getHeader(Wire.COMPUTE, String.class),
                    m.getHeader(Wire.TASK_COUNT, Integer.class), batchSize);
        }
        Path file = m.getBody(File.class).toPath();
        ChunkPlan plan = exchange.getProperty(PLAN, ChunkPlan.class);
        if (plan != null && plan.isAuto()) {
            return RequestBatches.sized(JobFile.tasks(file), plan.jobId(), m.getHeader(Wire.COMPUTE, String.class),
                    m.getHeader(Wire.TASK_COUNT, Integer.class), plan, autoBatchSize);
        }
        int chunk = m.getHeader(Wire.CHUNK_SIZE, 1, Integer.class);
        return new RequestBatches(chunk > 1 ? JobFile.chunks(file, chunk) : JobFile.tasks(file),
                m.getHeader(Wire.JOB_ID, String.class), m.getHeader(Wire.COMPUTE, String.class),
                m.getHeader(Wire.TASK_COUNT, Integer.class), chunk, batchSize);
    }
}
