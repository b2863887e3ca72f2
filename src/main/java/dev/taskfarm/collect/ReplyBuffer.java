package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.ledger.TaskResult;

/**
 * Group commit of the collector: results the aggregator accepted wait here and are written to
 * the ledger together, in one transaction, when {@code commitSize} results are waiting, when the
 * oldest has waited {@code commitIntervalMs}, or at once when a job completes (the result writer
 * reads the ledger). The collector route's last step ({@link GroupCommit}) holds each reply's
 * exchange until the commit that made its results durable; only then does the exchange complete
 * and its consumer acknowledge the reply, on the channel it came on. So a reply is never
 * acknowledged before its result is durable, and nothing here knows a channel or a delivery tag:
 * a coordinator that dies or loses its connection loses only unacknowledged replies, which the
 * broker redelivers. A failed commit discards the waiting results and fails the waiting exchanges
 * (their replies are requeued).
 *
 * <p>Committing per reply made the ledger the collector's bottleneck once commits were really
 * durable (H2 with {@code WRITE_DELAY=0}: about 0.8 ms a commit); one commit now carries up to
 * {@code commitSize} results. Counts seen by the aggregator are the ledger's plus the waiting
 * results, read once per job per group instead of once per reply.
 *
 * <p>Duplicates are recognised in memory: per running job a bitset of the indexes that have a
 * result (recorded or waiting), read from the ledger once when the job is first seen (N/8 bytes
 * per job). It is dropped when the job ends and when a commit fails; the ledger's primary key
 * still refuses a duplicate that slipped through.
 *
 * <p>All state is guarded by one lock; the consumer thread and the commit timer both take it.
 * Waiting exchanges are completed outside the lock.
 */
public class ReplyBuffer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyBuffer.class);

    /** A job as this group sees it: the ledger row plus the results waiting for the commit. */
    private static final class JobState {
        final JobRow row;
        final List<TaskResult> pending = new ArrayList<>();
        final BitSet pendingIndexes = new BitSet();

        JobState(JobRow row) {
            this.row = row;
        }
    }

    private final JobLedger ledger;
    private final JobProgress progress;
    private final int commitSize;
    private final long commitIntervalMs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, JobState> jobs = new HashMap<>();
    private final Map<String, BitSet> recorded = new HashMap<>();
    private final List<Waiter> waiting = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private int pendingCount;
    private long oldestPendingAt;
    /** Results added by the exchange in progress, which has not reached {@link #whenDurable} yet. */
    private int addedByCurrent;
    /** Why the exchange in progress lost its results to a failed commit before it waited (else null). */
    private Exception currentLost;

    /** @param scheduler runs the commit that is due by time (one thread, from Camel's executor service manager) */
    public ReplyBuffer(JobLedger ledger, JobProgress progress, int commitSize, long commitIntervalMs,
            ScheduledExecutorService scheduler) {
        this.ledger = ledger;
        this.progress = progress;
        this.commitSize = Math.max(1, commitSize);
        this.commitIntervalMs = Math.max(1, commitIntervalMs);
        this.scheduler = scheduler;
        long tick = Math.max(1, this.commitIntervalMs / 2);
        scheduler.scheduleWithFixedDelay(this::commitIfDue, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** The job's row as of this group (null if unknown); read from the ledger once per group. */
    public JobRow job(String jobId) throws SQLException {
        lock.lock();
        try {
            JobState s = state(jobId);
            return s == null ? null : s.row;
        } finally {
            lock.unlock();
        }
    }

    /** Whether this task of a running job has a result, recorded or waiting for the commit. */
    public boolean hasResult(String jobId, int index) throws SQLException {
        lock.lock();
        try {
            BitSet seen = recorded.get(jobId);
            if (seen == null) {
                JobState s = state(jobId);
                seen = ledger.recordedIn(jobId, 0, s == null ? 0 : s.row.total());
                recorded.put(jobId, seen);
            }
            return seen.get(index);
        } finally {
            lock.unlock();
        }
    }

    /** A reply the reply gate dropped because its task has a result already: the task is answered. */
    public void answeredAgain(String jobId, int index) {
        progress.onAnsweredAgain(jobId, index);
    }

    /** The job ended: its duplicate check is no longer needed (replies for it are dropped as finished). */
    public void forget(String jobId) {
        lock.lock();
        try {
            recorded.remove(jobId);
        } finally {
            lock.unlock();
        }
    }

    /** Results of a running job, recorded or waiting; -1 when the job is not running. */
    public int count(String jobId) throws SQLException {
        lock.lock();
        try {
            JobState s = state(jobId);
            return s == null || !s.row.isRunning() ? -1 : s.row.done() + s.pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Adds a result the aggregator accepted; it is recorded with the next commit. */
    public void add(String jobId, TaskResult result) throws SQLException {
        lock.lock();
        try {
            JobState s = state(jobId);
            if (s == null || s.pendingIndexes.get(result.index())) {
                return;
            }
            s.pending.add(result);
            s.pendingIndexes.set(result.index());
            BitSet seen = recorded.get(jobId);
            if (seen != null) {
                seen.set(result.index());
            }
            if (pendingCount++ == 0) {
                oldestPendingAt = System.nanoTime();
            }
            addedByCurrent++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The group commit as a step of the collector's route: the exchange completes (and so its
     * reply is acknowledged by its consumer) once the results it added are durable, with the
     * next commit; at once if nothing is waiting. Commits now when enough results are waiting.
     * A failed commit fails every exchange waiting for it (their replies are requeued), and also
     * the exchange whose results it discarded before that exchange got here (the commit timer
     * runs between the aggregator's add and this step; the collector has one consumer, so the
     * results added since the last exchange got here are this exchange's).
     */
    public void whenDurable(Exchange exchange, AsyncCallback callback) {
        List<Waiter> done;
        lock.lock();
        try {
            Exception lost = currentLost;
            currentLost = null;
            addedByCurrent = 0;
            if (lost != null) {
                done = List.of(new Waiter(exchange, callback, lost));
            } else if (pendingCount == 0 && waiting.isEmpty()) {
                done = List.of(new Waiter(exchange, callback));
            } else {
                waiting.add(new Waiter(exchange, callback));
                done = pendingCount >= commitSize ? commitOrFailLocked() : List.of();
            }
        } finally {
            lock.unlock();
        }
        Waiter.completeAll(done);
    }

    /** Commits what is waiting (the exchanges waiting for it complete). */
    public void commit() throws SQLException {
        List<Waiter> done;
        lock.lock();
        try {
            commitLocked(null, null, null);
            done = takeWaiting(null);
        } finally {
            lock.unlock();
        }
        Waiter.completeAll(done);
    }

    /**
     * Commits what is waiting and, in the same transaction, moves the job from running to
     * completing ({@link JobLedger#claimCompletion}); true if this call claimed it.
     */
    public boolean commitAndClaim(String jobId, String completedBy) throws SQLException {
        List<Waiter> done;
        boolean[] claimed = new boolean[1];
        lock.lock();
        try {
            commitLocked(jobId, completedBy, claimed);
            recorded.remove(jobId);
            done = takeWaiting(null);
        } finally {
            lock.unlock();
        }
        Waiter.completeAll(done);
        return claimed[0];
    }

    /** An exchange waiting for the commit that makes its results durable. */
    private record Waiter(Exchange exchange, AsyncCallback callback, Exception failure) {
        Waiter(Exchange exchange, AsyncCallback callback) {
            this(exchange, callback, null);
        }

        /** Completes each exchange; one whose completion throws does not keep the others from theirs. */
        static void completeAll(List<Waiter> waiters) {
            for (Waiter w : waiters) {
                try {
                    if (w.failure != null) {
                        w.exchange.setException(w.failure);
                    }
                    w.callback.done(false);
                } catch (RuntimeException e) {
                    LOG.warn("Completing reply exchange {} failed: {}", w.exchange.getExchangeId(), e.toString());
                }
            }
        }
    }

    private List<Waiter> takeWaiting(Exception failure) {
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Waiter> done = new ArrayList<>(waiting.size());
        for (Waiter w : waiting) {
            done.add(failure == null ? w : new Waiter(w.exchange, w.callback, failure));
        }
        waiting.clear();
        return done;
    }

    private List<Waiter> commitOrFailLocked() {
        try {
            commitLocked(null, null, null);
            return takeWaiting(null);
        } catch (Exception e) {
            LOG.warn("Group commit of {} results failed, their replies are requeued: {}", pendingCount, e.getMessage());
            if (addedByCurrent > 0) {
                currentLost = e;
            }
            discardLocked();
            return takeWaiting(e);
        }
    }

    private void commitIfDue() {
        List<Waiter> done = List.of();
        lock.lock();
        try {
            boolean due = pendingCount > 0 && System.nanoTime() - oldestPendingAt >= commitIntervalMs * 1_000_000L;
            if (due || pendingCount == 0 && !waiting.isEmpty()) {
                done = commitOrFailLocked();
            }
        } catch (RuntimeException e) {
            // never let the timer die: a dead timer leaves waiting replies unacknowledged for good
            LOG.warn("Group commit timer: {}", e.toString());
        } finally {
            lock.unlock();
        }
        Waiter.completeAll(done);
    }

    private void commitLocked(String claimJobId, String completedBy, boolean[] claimed) throws SQLException {
        if (pendingCount == 0 && claimJobId != null) {
            claimed[0] = ledger.claimCompletion(claimJobId, completedBy);
        } else if (pendingCount > 0) {
            Map<String, List<TaskResult>> batch = new LinkedHashMap<>();
            jobs.forEach((id, s) -> {
                if (!s.pending.isEmpty()) {
                    batch.put(id, s.pending);
                }
            });
            Map<String, List<TaskResult>> counted = claimJobId == null ? ledger.recordAll(batch)
                    : ledger.recordAll(batch, claimJobId, completedBy, claimed);
            int n = 0;
            for (var e : counted.entrySet()) {
                for (TaskResult r : e.getValue()) {
                    progress.onResult(e.getKey(), r.index(), r.ok());
                    n++;
                }
            }
            if (n < pendingCount) {
                // already recorded (a duplicate the in-memory check no longer knew): answered all the same
                batch.forEach((id, results) -> {
                    List<TaskResult> in = counted.getOrDefault(id, List.of());
                    for (TaskResult r : results) {
                        if (in.size() < results.size() && !in.contains(r)) {
                            progress.onAnsweredAgain(id, r.index());
                        }
                    }
                });
                LOG.debug("{} of {} results not counted: already recorded or job no longer running", pendingCount - n,
                        pendingCount);
            }
        }
        jobs.clear();
        pendingCount = 0;
    }

    private void discardLocked() {
        jobs.clear();
        recorded.clear();
        pendingCount = 0;
    }

    private JobState state(String jobId) throws SQLException {
        JobState s = jobs.get(jobId);
        if (s == null) {
            JobRow row = ledger.find(jobId);
            if (row == null) {
                return null;
            }
            s = new JobState(row);
            jobs.put(jobId, s);
        }
        return s;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        List<Waiter> done;
        lock.lock();
        try {
            done = commitOrFailLocked();
        } finally {
            lock.unlock();
        }
        Waiter.completeAll(done);
    }
}
