package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import com.rabbitmq.client.Channel;
import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.ledger.TaskResult;

/**
 * Group commit of the collector: results the aggregator accepted wait here and are written to
 * the ledger together, in one transaction, when {@code commitSize} results are waiting, when the
 * oldest has waited {@code commitIntervalMs}, or at once when a job completes (the result writer
 * reads the ledger). Only after that commit are the replies acknowledged to the broker (one
 * multiple-ack up to the last reply processed), so a reply is never acknowledged before its
 * result is durable: a coordinator that dies loses only unacknowledged replies, which the broker
 * redelivers. A failed commit discards the waiting results and requeues their replies.
 *
 * <p>Committing per reply made the ledger the collector's bottleneck once commits were really
 * durable (H2 with {@code WRITE_DELAY=0}: about 0.8 ms a commit); one commit now carries up to
 * {@code commitSize} results. Counts seen by the aggregator are the ledger's plus the waiting
 * results, read once per job per group instead of once per reply.
 *
 * <p>Duplicates are recognised in memory: per running job a bitset of the indexes that have a
 * result (recorded or waiting), read from the ledger once when the job is first seen (N/8 bytes
 * per job). It is dropped when the job ends, when a commit fails and when the consumer channel
 * changes (another coordinator may have collected meanwhile); the ledger's primary key still
 * refuses a duplicate that slipped through.
 *
 * <p>All state is guarded by one lock; the consumer thread and the commit timer both take it.
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
    private final ScheduledExecutorService timer;
    private int pendingCount;
    private long oldestPendingAt;
    private Channel channel;
    private long lastProcessedTag = -1;
    private long lastAckedTag = -1;

    public ReplyBuffer(JobLedger ledger, JobProgress progress, int commitSize, long commitIntervalMs) {
        this.ledger = ledger;
        this.progress = progress;
        this.commitSize = Math.max(1, commitSize);
        this.commitIntervalMs = Math.max(1, commitIntervalMs);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "taskfarm-commit");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(1, this.commitIntervalMs / 2);
        timer.scheduleWithFixedDelay(this::commitIfDue, tick, tick, TimeUnit.MILLISECONDS);
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
        } finally {
            lock.unlock();
        }
    }

    /**
     * The reply in this exchange is processed: it will be acknowledged with the next commit. Commits
     * now when enough results are waiting.
     */
    public void processed(Exchange exchange) throws SQLException {
        Channel ch = exchange.getProperty(SpringRabbitMQConstants.CHANNEL, Channel.class);
        Long tag = exchange.getMessage().getHeader(SpringRabbitMQConstants.DELIVERY_TAG, Long.class);
        lock.lock();
        try {
            if (ch != null && tag != null) {
                if (ch != channel) {
                    // a new consumer channel: the old one's unacknowledged replies are redelivered
                    // anyway; what is waiting is still committed (duplicates are recognised)
                    commitLocked(false);
                    recorded.clear();
                    channel = ch;
                    lastAckedTag = -1;
                }
                lastProcessedTag = Math.max(lastProcessedTag, tag);
            }
            if (pendingCount >= commitSize) {
                commitLocked(true);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Commits what is waiting and acknowledges the processed replies. */
    public void commit() throws SQLException {
        lock.lock();
        try {
            commitLocked(true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits what is waiting and, in the same transaction, moves the job from running to
     * completing ({@link JobLedger#claimCompletion}); true if this call claimed it.
     */
    public boolean commitAndClaim(String jobId, String completedBy) throws SQLException {
        lock.lock();
        try {
            boolean[] claimed = new boolean[1];
            commitLocked(true, jobId, completedBy, claimed);
            recorded.remove(jobId);
            return claimed[0];
        } finally {
            lock.unlock();
        }
    }

    /**
     * Processing this exchange's reply failed: the results waiting are discarded (they were never
     * durable) and every unacknowledged reply up to this one is requeued.
     */
    public void failed(Exchange exchange) {
        Channel ch = exchange.getProperty(SpringRabbitMQConstants.CHANNEL, Channel.class);
        Long tag = exchange.getMessage().getHeader(SpringRabbitMQConstants.DELIVERY_TAG, Long.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        lock.lock();
        try {
            LOG.warn("Collecting reply {} failed ({}): {} waiting results discarded, replies requeued",
                    exchange.getMessage().getHeader(SpringRabbitMQConstants.CORRELATION_ID),
                    cause == null ? "unknown error" : cause.getMessage(), pendingCount);
            discardLocked();
            if (ch != null && tag != null && ch.isOpen()) {
                ch.basicNack(tag, true, true);
                if (ch == channel) {
                    lastAckedTag = Math.max(lastAckedTag, tag);
                    lastProcessedTag = lastAckedTag;
                }
            }
        } catch (Exception e) {
            LOG.warn("Cannot requeue replies: {}", e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void commitIfDue() {
        lock.lock();
        try {
            boolean due = pendingCount > 0 && System.nanoTime() - oldestPendingAt >= commitIntervalMs * 1_000_000L;
            if (due || pendingCount == 0 && lastProcessedTag > lastAckedTag) {
                commitLocked(true);
            }
        } catch (Exception e) {
            LOG.warn("Group commit of {} results failed, their replies are requeued: {}", pendingCount, e.getMessage());
            discardLocked();
            nackLocked();
        } finally {
            lock.unlock();
        }
    }

    private void commitLocked(boolean ack) throws SQLException {
        commitLocked(ack, null, null, null);
    }

    private void commitLocked(boolean ack, String claimJobId, String completedBy, boolean[] claimed) throws SQLException {
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
                LOG.debug("{} of {} results not counted: already recorded or job no longer running", pendingCount - n,
                        pendingCount);
            }
        }
        jobs.clear();
        pendingCount = 0;
        if (ack && channel != null && lastProcessedTag > lastAckedTag) {
            try {
                if (channel.isOpen()) {
                    channel.basicAck(lastProcessedTag, true);
                }
            } catch (Exception e) {
                LOG.warn("Cannot acknowledge replies up to {}: {} (they are redelivered and recognised as duplicates)",
                        lastProcessedTag, e.getMessage());
            }
            lastAckedTag = lastProcessedTag;
        }
    }

    private void discardLocked() {
        jobs.clear();
        recorded.clear();
        pendingCount = 0;
    }

    private void nackLocked() {
        try {
            if (channel != null && channel.isOpen() && lastProcessedTag > lastAckedTag) {
                channel.basicNack(lastProcessedTag, true, true);
            }
        } catch (Exception e) {
            LOG.warn("Cannot requeue replies: {}", e.getMessage());
        }
        lastAckedTag = lastProcessedTag;
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
        timer.shutdownNow();
        lock.lock();
        try {
            commitLocked(true);
        } catch (Exception e) {
            LOG.warn("Final group commit failed: {} (the replies are redelivered)", e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
