package dev.taskfarm.dispatch;

import java.io.Closeable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.chunk.ChunkPlan;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.durable.Dispatching;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.wire.BatchCursor;
import dev.taskfarm.wire.RequestBatch;
import dev.taskfarm.wire.Wire;

/**
 * Fair share between jobs (docs/DESIGN-NOTES.md, "Fair share"): the coordinator keeps a bounded
 * window of each running job's tasks in flight (published, no result recorded yet) and refills the
 * windows turn by turn across the jobs ({@link WeightedRounds}), each job's window proportional to
 * its priority. A job is read from its kept input by a cursor only as far as its window allows, so a
 * million-task job is never in memory nor all on the broker, and a small job submitted behind it
 * waits only for what is in flight, not for the big job's backlog.
 *
 * <p>Each job's state is a {@link JobWindow}; how big the windows are (Little's law, a per-slot
 * minimum, growth while a compute's queue runs empty) is {@link Windows}' business. The windows grow
 * on their own while the workers have idle slots (more in flight, more completions) and stop where
 * the workers are saturated.
 *
 * <p>The {@code dispatch-tasks} route (routes/coordinator/20-publish-tasks) splits {@link #batches}
 * and publishes each batch; a recorded result ({@link #recorded}, called by the collector's group
 * commit) frees its task's window space and wakes the route when a message is fully answered.
 */
public class Dispatcher implements JobProgress.ResultListener, Dispatching {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");
    /** Exchange property: the batch an exchange of the dispatch route publishes. */
    static final String BATCH = "TaskfarmBatch";

    private final JobIntake intake;
    private final JobLedger ledger;
    private final Windows windows;
    private final int batchSize;
    private final Map<String, JobWindow> cursors = new LinkedHashMap<>();
    private final WeightedRounds<String> rounds;
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile Runnable wakeup = () -> { };
    private boolean passRunning;
    private boolean dirty;

    /**
     * @param slots       worker slots serving a compute's requests queue, by compute
     * @param queueTimeMs how long a task should wait in flight: sets the windows from the completion rate
     * @param maxWindow   most tasks in flight of one job
     * @param batchSize   most request messages in one batch (one exchange of the dispatch route)
     * @param quantum     tasks credited per unit of priority and turn of the round robin
     * @param messagesPerSlot fewest messages in flight per worker slot (of all jobs together)
     */
    public Dispatcher(JobIntake intake, JobLedger ledger, ToIntFunction<String> slots, long queueTimeMs, long maxWindow,
            int batchSize, int quantum, int messagesPerSlot) {
        this.intake = intake;
        this.ledger = ledger;
        this.windows = new Windows(slots, queueTimeMs, maxWindow, messagesPerSlot);
        this.batchSize = Math.max(1, batchSize);
        this.rounds = new WeightedRounds<>(quantum);
    }

    /** Where the windows learn whether a compute's queue runs empty (see {@link Windows}). */
    public void setBacklog(Backlog backlog) {
        windows.setBacklog(backlog);
    }

    /** What wakes the dispatch route (sends to its endpoint); called at most once per pass. */
    public void setWakeup(Runnable wakeup) {
        this.wakeup = wakeup;
    }

    // ---- jobs in and out --------------------------------------------------------------------

    /**
     * A job the intake accepted (headers and body as {@link JobIntake#accept} left them): its
     * dispatch starts. Nothing for an input of a known job, or a job already being dispatched here.
     */
    public void add(Exchange exchange) throws java.io.IOException {
        start(exchange, false);
    }

    /**
     * The re-drive's rewind (headers, body and recorded indexes as {@code Redrive.prepare} set them):
     * the job's dispatch restarts from the ledger, with only its tasks that have no result; what was
     * in flight is forgotten (lost on the broker, or answered as duplicates the reply gate drops).
     */
    public void rewind(Exchange exchange) throws java.io.IOException {
        start(exchange, true);
    }

    private void start(Exchange exchange, boolean replace) throws java.io.IOException {
        Message m = exchange.getMessage();
        String jobId = m.getHeader(Wire.JOB_ID, String.class);
        if (m.getHeader(JobIntake.KNOWN_JOB) != null || jobId == null) {
            return;
        }
        synchronized (this) {
            if (!replace && cursors.containsKey(jobId)) {
                return;
            }
        }
        BatchCursor batches = intake.cursor(exchange);
        if (batches == null) {
            return;
        }
        JobWindow c = new JobWindow(jobId, m.getHeader(Wire.COMPUTE, String.class), m.getHeader(Wire.TASK_COUNT, Integer.class),
                m.getHeader(JobIntake.PRIORITY, 1, Integer.class), batches,
                exchange.getProperty(JobIntake.PLAN, ChunkPlan.class));
        JobWindow old;
        synchronized (this) {
            old = cursors.get(jobId);
            if (old != null && !replace) {
                closeQuietly(batches);
                return;
            }
            cursors.put(jobId, c);
            if (old != null) {
                discard(old);
            }
        }
        wake();
    }

    /** The job was cancelled or ended: its cursor goes, its share goes to the others. */
    public void drop(String jobId) {
        synchronized (this) {
            JobWindow c = cursors.remove(jobId);
            if (c == null) {
                return;
            }
            discard(c);
        }
        wake();
    }

    /** {@link #drop} of the job in the header {@code TaskfarmJobId}. */
    public void drop(Exchange exchange) {
        String jobId = exchange.getMessage().getHeader(Wire.JOB_ID, String.class);
        if (jobId != null) {
            drop(jobId);
        }
    }

    /** Closes a cursor no longer current (now, or after the read in progress). Called holding the lock. */
    private static void discard(JobWindow c) {
        c.stopped = true;
        if (c.reading) {
            c.closeAfterRead = true;
        } else {
            closeQuietly(c.batches);
        }
    }

    @Override
    public synchronized boolean dispatching(String jobId) {
        return cursors.containsKey(jobId);
    }

    @Override
    public synchronized boolean needsRewind(String jobId) {
        JobWindow c = cursors.get(jobId);
        return c != null && c.stopped;
    }

    @Override
    public void retain(Collection<String> owned, long sinceMillis) {
        Set<String> keep = new HashSet<>(owned);
        List<String> lost = new ArrayList<>();
        synchronized (this) {
            for (JobWindow c : cursors.values()) {
                if (!keep.contains(c.jobId) && c.createdAt < sinceMillis) {
                    lost.add(c.jobId);
                }
            }
        }
        for (String jobId : lost) {
            dev.taskfarm.ledger.JobRow row;
            try {
                row = ledger.find(jobId);
            } catch (SQLException e) {
                continue; // asked again on the next tick
            }
            if (row == null || row.isRunning()) {
                LOG.warn("Job {} is no longer owned by this coordinator (its lease was taken over): its dispatch stops"
                        + " here", jobId);
                drop(jobId);
            } else if (row.isFinal()) {
                drop(jobId);
            }
        }
    }

    // ---- results free window space ------------------------------------------------------------

    /** A task's result was recorded (the collector's group commit): its window space is free again. */
    @Override
    public void recorded(String jobId, int index) {
        windows.recorded();
        boolean freed;
        synchronized (this) {
            JobWindow c = cursors.get(jobId);
            freed = c != null && c.recorded(index);
        }
        if (freed) {
            wake();
        }
    }

    private void wake() {
        if (wakeupPending.compareAndSet(false, true)) {
            try {
                wakeup.run();
            } catch (RuntimeException e) {
                wakeupPending.set(false);
                LOG.debug("Cannot wake the dispatch route: {}", e.getMessage());
            }
        }
    }

    // ---- the dispatch route ---------------------------------------------------------------------

    /**
     * The batches the windows allow now, in weighted round-robin order across the jobs, drawn one by
     * one as the route's splitter asks (so what a batch frees counts for the next). One pass at a
     * time: a pass asked for while one runs makes the running one look again before it ends.
     */
    public Iterator<RequestBatch> batches() {
        wakeupPending.set(false);
        synchronized (this) {
            if (passRunning) {
                dirty = true;
                return java.util.Collections.emptyIterator();
            }
            passRunning = true;
            dirty = false;
        }
        return new Pass();
    }

    private final class Pass implements Iterator<RequestBatch>, Closeable {
        private RequestBatch next;
        private boolean ended;

        @Override
        public boolean hasNext() {
            if (next == null && !ended) {
                next = draw();
                ended = next == null;
            }
            return next != null;
        }

        @Override
        public RequestBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RequestBatch b = next;
            next = null;
            return b;
        }

        /** The splitter closes the pass, also when a publish failed. */
        @Override
        public void close() {
            if (!ended) {
                ended = true;
                endPass();
            }
        }
    }

    private void endPass() {
        boolean again;
        synchronized (this) {
            passRunning = false;
            again = dirty;
            dirty = false;
        }
        if (again) {
            wake();
        }
    }

    /** The next batch some job's window has room for, or null (the pass ends). */
    private RequestBatch draw() {
        while (true) {
            JobWindow c;
            int grant;
            synchronized (this) {
                long totalWindow = windows.total();
                double weights = 0;
                for (JobWindow x : cursors.values()) {
                    if (x.wantsToSend()) {
                        weights += x.priority;
                    }
                }
                final double sum = weights;
                WeightedRounds.Grant<String> g = rounds.next(new ArrayList<>(cursors.keySet()),
                        k -> cursors.get(k).priority, k -> windows.room(cursors.get(k), sum, totalWindow));
                if (g == null) {
                    if (dirty) {
                        dirty = false;
                        continue;
                    }
                    passRunning = false;
                    return null;
                }
                c = cursors.get(g.key());
                grant = g.count();
                c.reading = true;
            }
            RequestBatch b = null;
            boolean more = false;
            RuntimeException failure = null;
            try {
                if (c.batches.hasNext()) {
                    b = c.batches.next(batchSize, grant);
                    more = c.batches.hasNext();
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            boolean published = false;
            synchronized (this) {
                c.reading = false;
                if (c.closeAfterRead || cursors.get(c.jobId) != c) {
                    closeQuietly(c.batches);
                    continue; // dropped or rewound while it was read
                }
                if (failure != null) {
                    c.stopped = true;
                    LOG.warn("Job {}: cannot read its next tasks ({}); it is re-driven from the ledger", c.jobId,
                            failure.toString());
                    continue;
                }
                if (b != null && b.bodies().isEmpty()) {
                    continue; // an auto plan waiting for its probe's compute times: ask again later
                }
                if (b == null) {
                    c.exhausted = true;
                    closeQuietly(c.batches);
                    published = true;
                } else {
                    c.sending(b, !more);
                    if (!more) {
                        closeQuietly(c.batches);
                    }
                }
            }
            if (published) {
                markPublished(c); // nothing was left to send (every task already has a result)
                continue;
            }
            return b;
        }
    }

    /** Sets the headers of a batch's exchange (job id, compute, task count) before it is published. */
    public void headers(Exchange exchange) {
        RequestBatch b = exchange.getMessage().getBody(RequestBatch.class);
        Message m = exchange.getMessage();
        m.setHeader(Wire.JOB_ID, b.jobId());
        m.setHeader(Wire.COMPUTE, b.compute());
        m.setHeader(Wire.TASK_COUNT, b.taskCount());
        exchange.setProperty(BATCH, b);
    }

    /** The broker confirmed the batch: a job whose last batch it was is fully published. */
    public void sent(Exchange exchange) {
        RequestBatch b = exchange.getProperty(BATCH, RequestBatch.class);
        JobWindow c;
        synchronized (this) {
            c = b == null ? null : cursors.get(b.jobId());
            if (c == null || c.lastBatch != b) {
                return;
            }
        }
        markPublished(c);
    }

    /** A batch could not be published: the job stops here until the re-drive rewinds it from the ledger. */
    public void failed(Exchange exchange) {
        RequestBatch b = exchange.getProperty(BATCH, RequestBatch.class);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (b == null) {
            return;
        }
        synchronized (this) {
            JobWindow c = cursors.get(b.jobId());
            if (c != null) {
                c.stopped = true;
            }
        }
        LOG.warn("Job {}: publishing tasks {}.. failed ({}); its dispatch is re-driven from the ledger", b.jobId(),
                b.firstIndex(), e == null ? "unknown" : e.getMessage());
    }

    private void markPublished(JobWindow c) {
        try {
            ledger.markPublished(c.jobId);
        } catch (SQLException e) {
            LOG.warn("Job {}: cannot mark it published in the ledger ({}); the re-drive finds it", c.jobId, e.getMessage());
            return;
        }
        LOG.info("Job {} published: {} tasks dispatched in {} batches{}", c.jobId, c.published, c.batchCount,
                c.plan == null ? "" : ", " + c.plan.describe());
    }

    // ---- status ------------------------------------------------------------------------------------

    /** The job's dispatch for its status: tasks published, in flight, its window; null when not dispatched here. */
    public synchronized ObjectNode view(String jobId) {
        JobWindow c = cursors.get(jobId);
        if (c == null) {
            return null;
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("published", c.published);
        n.put("inFlight", c.inFlightTasks);
        n.put("inFlightMessages", c.messagesInFlight());
        n.put("window", c.window);
        n.put("state", c.stopped ? "stopped" : c.exhausted ? "sent" : c.plan != null && c.plan.waiting() ? "probing"
                : "sending");
        return n;
    }

    /** Completion rate (tasks per second, smoothed) the windows are sized from. */
    public synchronized double rate() {
        return windows.rate();
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("Cannot close a job's cursor: {}", e.getMessage());
        }
    }
}
