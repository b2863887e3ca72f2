package dev.taskfarm.durable;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.intake.JobKeeper;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.Wire;

/**
 * The ledger re-drives jobs whose tasks can no longer arrive (docs/DESIGN-NOTES.md, "Re-drive"):
 * the {@code redrive} route asks for the stalled jobs this coordinator owns on every tick and
 * sends each, with the indexes that already have a result, into the normal publishing path, which
 * then publishes exactly the missing tasks. As the intake's {@link JobKeeper} it keeps every
 * accepted job's input and makes this coordinator the job's owner.
 *
 * <p>A job owned here is re-driven when (1) it is not fully published and the dispatcher of this
 * process has no cursor over it (its coordinator restarted, or this one took it over), or a publish
 * of it failed, or (2) no result was recorded for {@code stallAfterMs} and the requests queue holds
 * no ready message (its requests in flight are lost: the window would never drain). A re-drive
 * rewinds the job's dispatch ({@code Dispatcher.rewind}): its tasks without a result are sent again,
 * windowed like any job. Duplicates that a re-drive causes (a task that was only slow, requests
 * that survived a restart on the broker) are dropped by the reply gate.
 */
public class Redrive implements JobKeeper {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");

    /** Answers how many requests wait, ready, on a compute's requests queue; -1 when it cannot tell. */
    public interface QueueDepth {
        long readyRequests(String compute);
    }

    private record Seen(int done, long since) {
    }

    private final JobLedger ledger;
    private final JobLeases leases;
    private final JobInputs inputs;
    private final QueueDepth depth;
    private final long stallAfterMs;
    private final Set<String> publishing = ConcurrentHashMap.newKeySet();
    private final Map<String, Seen> seen = new HashMap<>();
    private final Set<String> warnedNoInput = ConcurrentHashMap.newKeySet();
    private volatile Dispatching dispatching;

    public Redrive(JobLedger ledger, JobLeases leases, JobInputs inputs, QueueDepth depth, long stallAfterMs) {
        this.ledger = ledger;
        this.leases = leases;
        this.inputs = inputs;
        this.depth = depth;
        this.stallAfterMs = stallAfterMs;
    }

    /** The dispatcher whose jobs this re-drive resumes and rewinds. */
    public void setDispatching(Dispatching dispatching) {
        this.dispatching = dispatching;
    }

    // ---- JobKeeper: called by the intake ------------------------------------------------------

    @Override
    public String keep(String jobId, Path file, Exchange exchange) throws java.io.IOException {
        String digest = JobInputs.digest(file);
        inputs.keep(jobId, digest, file);
        // while this exchange publishes the job, the re-drive leaves it alone
        publishing.add(jobId);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange e) {
                publishing.remove(jobId);
            }
        });
        return digest;
    }

    @Override
    public void registered(java.sql.Connection c, String jobId, String digest) throws SQLException {
        leases.own(c, jobId, digest);
    }

    @Override
    public String digestOf(String jobId) throws SQLException {
        return leases.digest(jobId);
    }

    @Override
    public void discard(String jobId, String digest) {
        try {
            if (!digest.equals(leases.digest(jobId))) {
                java.nio.file.Files.deleteIfExists(inputs.path(jobId, digest));
            }
        } catch (Exception e) {
            LOG.debug("Cannot discard the input kept for refused job {}: {}", jobId, e.getMessage());
        }
    }

    // ---- the redrive route ----------------------------------------------------------------------

    /** Renews this coordinator's leases and takes over jobs whose owner's lease expired. */
    public void renewLeases() throws SQLException {
        leases.renewAndTakeOver();
    }

    /** Ids of the jobs owned here that need a re-drive now (the rule above). */
    public synchronized List<String> stalledJobs() throws SQLException {
        long now = System.currentTimeMillis();
        List<String> stalled = new ArrayList<>();
        List<JobLeases.Owned> owned = leases.owned();
        List<String> ownedIds = owned.stream().map(JobLeases.Owned::jobId).toList();
        seen.keySet().retainAll(ownedIds);
        Dispatching d = dispatching;
        if (d != null) {
            // a job whose lease another coordinator took is dispatched by that one only
            d.retain(ownedIds, now);
        }
        Map<String, Long> ready = new HashMap<>();
        for (JobLeases.Owned job : owned) {
            if (publishing.contains(job.jobId()) || job.done() >= job.total()) {
                continue;
            }
            if (!inputs.has(job.jobId(), job.digest())) {
                if (warnedNoInput.add(job.jobId())) {
                    LOG.warn("Job {} cannot be re-driven: its input is not kept in {} (ends at its deadline if its tasks"
                            + " are lost)", job.jobId(), inputs.dir());
                }
                continue;
            }
            if (d != null && d.needsRewind(job.jobId())) {
                // a publish of it failed: its dispatch restarts from the ledger
                stalled.add(job.jobId());
                continue;
            }
            if (!job.published() && (d == null || !d.dispatching(job.jobId()))) {
                // not fully sent and nobody sends it here (a restart, a takeover): resume it
                stalled.add(job.jobId());
                continue;
            }
            Seen s = seen.get(job.jobId());
            if (s == null || s.done() != job.done()) {
                seen.put(job.jobId(), new Seen(job.done(), now));
                continue;
            }
            if (now - s.since() < stallAfterMs) {
                continue;
            }
            JobRow row = ledger.find(job.jobId());
            if (row == null) {
                continue;
            }
            // the job's own compute queue: requests left on a queue no worker reads (an old
            // taskfarm.requests of an earlier version) do not count, so such a job is re-driven
            if (ready.computeIfAbsent(row.compute(), depth::readyRequests) == 0) {
                stalled.add(job.jobId());
            }
        }
        return stalled;
    }

    /**
     * Turns the job id in the body into a publish of its missing tasks: the job headers, its kept
     * input as the body, and the indexes that have a result (read from the ledger now).
     */
    public void prepare(Exchange exchange) throws SQLException {
        Message m = exchange.getMessage();
        String jobId = m.getBody(String.class);
        JobRow job = ledger.find(jobId);
        String digest = leases.digest(jobId);
        if (job == null || !job.isRunning() || digest == null) {
            throw new IllegalStateException("job " + jobId + " is no longer running");
        }
        java.util.BitSet recorded = ledger.recordedIn(jobId, 0, job.total());
        publishing.add(jobId);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange e) {
                publishing.remove(jobId);
            }
        });
        m.getHeaders().clear();
        m.setHeader(Wire.JOB_ID, jobId);
        m.setHeader(Wire.TASK_COUNT, job.total());
        m.setHeader(Wire.COMPUTE, job.compute());
        m.setHeader(JobIntake.PRIORITY, job.priority());
        m.setHeader("TaskfarmMissing", job.total() - recorded.cardinality());
        exchange.setProperty(JobIntake.RECORDED, recorded);
        m.setBody(inputs.path(jobId, digest).toFile());
    }

    /** The missing tasks are published again: counts the job's publish epoch. */
    public void redriven(Exchange exchange) throws SQLException {
        String jobId = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        int epoch = leases.redriven(jobId);
        synchronized (this) {
            seen.remove(jobId);
        }
        LOG.warn("Job {} re-driven: its dispatch restarts from the ledger with its {} tasks without a result (publish"
                + " epoch {})", jobId,
                exchange.getMessage().getHeader("TaskfarmMissing"), epoch);
    }

    /** A job ended: its kept input is no longer needed. */
    public void ended(String jobId) {
        inputs.delete(jobId);
        warnedNoInput.remove(jobId);
    }

    /**
     * At start-up: deletes kept inputs of jobs that ended while this process was down, and those
     * of jobs never registered (a crash between keeping and registering) once they are a day old.
     */
    public void sweep() throws Exception {
        long dayAgo = System.currentTimeMillis() - 24 * 3600_000L;
        for (String jobId : inputs.jobIds()) {
            JobRow job = ledger.find(jobId);
            if (job != null && job.isFinal() || job == null && inputs.lastModified(jobId) < dayAgo) {
                inputs.delete(jobId);
            }
        }
    }
}
