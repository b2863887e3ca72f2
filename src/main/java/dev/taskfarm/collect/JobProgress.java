package dev.taskfarm.collect;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.metrics.FarmMetrics;

/**
 * Live progress of the jobs this coordinator collects: counts since start, rate and ETA. The same
 * numbers feed the log (at most one line per job per interval, so a fast job does not flood it),
 * the metrics (per-job gauges read the tally) and the API ({@link #rate}/{@link #etaSeconds}
 * compute the API's numbers from the ledger's counts the same way); and the task round trip
 * (request published to result recorded), sampled on at most {@link #MAX_SAMPLES} tasks per job
 * so memory stays bounded however large the job.
 */
public class JobProgress {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.progress");

    /** Most tasks per job whose round trip is sampled. */
    public static final int MAX_SAMPLES = 20_000;

    /** A job's live numbers. */
    public static final class Tally implements dev.taskfarm.metrics.JobFigures {
        final String jobId;
        final int total;
        final long startedAt;
        final AtomicInteger published = new AtomicInteger();
        volatile int done;
        volatile int failed;
        volatile long lastLogAt;
        /** When the job ended (its numbers are frozen from then on), or 0. */
        volatile long endedAt;
        private final int stride;
        private final long[] publishedAt;
        private final long[] roundTrip;

        Tally(String jobId, int total, int done, int failed, long startedAt) {
            this.jobId = jobId;
            this.total = total;
            this.done = done;
            this.failed = failed;
            this.startedAt = startedAt;
            this.lastLogAt = System.currentTimeMillis();
            this.stride = Math.max(1, (total + MAX_SAMPLES - 1) / MAX_SAMPLES);
            int samples = (total + stride - 1) / stride;
            this.publishedAt = new long[samples];
            this.roundTrip = new long[samples];
        }

        void published(int first, int count, long now) {
            for (int i = first + (stride - first % stride) % stride; i < first + count && i < total; i += stride) {
                publishedAt[i / stride] = now;
            }
        }

        void recorded(int index, long now) {
            if (index >= 0 && index < total && index % stride == 0 && publishedAt[index / stride] != 0) {
                roundTrip[index / stride] = now - publishedAt[index / stride];
            }
        }

        /**
         * Round-trip time in microseconds at the given quantile (0..1) over the sampled tasks that
         * have a result, or -1 when none does.
         */
        public long roundTripMicros(double quantile) {
            long[] rtt = java.util.Arrays.stream(roundTrip).filter(v -> v > 0).sorted().toArray();
            if (rtt.length == 0) {
                return -1;
            }
            int i = (int) Math.min(rtt.length - 1, Math.max(0, Math.ceil(quantile * rtt.length) - 1));
            return rtt[i] / 1000;
        }

        @Override
        public String jobId() {
            return jobId;
        }

        @Override
        public int done() {
            return done;
        }

        @Override
        public int failed() {
            return failed;
        }

        @Override
        public int total() {
            return total;
        }

        @Override
        public int published() {
            return published.get();
        }

        /** Results per second since the job started. */
        @Override
        public double rate() {
            long end = endedAt;
            return JobProgress.rate(done, startedAt, end > 0 ? end : System.currentTimeMillis());
        }

        /** Seconds until every task is done at the current rate, or -1 when unknown. */
        @Override
        public long etaSeconds() {
            return JobProgress.etaSeconds(total, done, rate());
        }
    }

    /** Told of every recorded result (after its group commit): the dispatcher frees window space. */
    public interface ResultListener {
        /**
         * The task has a result: recorded now, or already (a duplicate reply). Called for every
         * answer, so a task re-sent after a re-drive frees its window even when the result that
         * was recorded came from its earlier copy; a listener counts each task once.
         */
        void recorded(String jobId, int index);
    }

    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    private volatile ResultListener listener;
    private final long logIntervalMs;
    private final FarmMetrics metrics;

    public JobProgress(long logIntervalMs, FarmMetrics metrics) {
        this.logIntervalMs = logIntervalMs;
        this.metrics = metrics;
        metrics.gauge("taskfarm.jobs.running", "Jobs this coordinator is collecting", tallies::size);
    }

    /** Results per second over the time since the job started. */
    public static double rate(int done, long startedAt, long now) {
        long elapsed = Math.max(1, now - startedAt);
        return done * 1000.0 / elapsed;
    }

    /** Seconds until all tasks are done at this rate; 0 when they are, -1 when unknown. */
    public static long etaSeconds(int total, int done, double rate) {
        if (done >= total) {
            return 0;
        }
        return rate <= 0 ? -1 : Math.round((total - done) / rate);
    }

    public void setResultListener(ResultListener listener) {
        this.listener = listener;
    }

    /** Starts tracking a job (also after a restart, with the counts the ledger holds). */
    public void track(String jobId, int total, int done, int failed, long startedAt) {
        Tally t = new Tally(jobId, total, done, failed, startedAt);
        tallies.put(jobId, t);
        metrics.jobStarted(t);
    }

    public Tally get(String jobId) {
        return tallies.get(jobId);
    }

    /** The job ended with this status: stop tracking it. */
    public void finished(String jobId, String status) {
        Tally t = tallies.remove(jobId);
        if (t != null) {
            t.endedAt = System.currentTimeMillis();
        }
        metrics.jobFinished(jobId, status);
    }

    /** Requests for tasks first..first+count-1 are being published now. */
    /** The publish route is about to publish this batch of a job's requests. */
    public void published(dev.taskfarm.wire.RequestBatch batch) {
        onPublished(batch.jobId(), batch.firstIndex(), batch.tasks());
    }

    public void onPublished(String jobId, int first, int count) {
        Tally t = tallies.get(jobId);
        if (t != null) {
            t.published(first, count, System.nanoTime());
            t.published.addAndGet(count);
        }
        metrics.tasksPublished(count);
    }

    /**
     * The task is answered: a reply for a task that has a result already (dropped as a duplicate),
     * and every recorded result ({@link #onResult}) too.
     */
    void onAnsweredAgain(String jobId, int index) {
        ResultListener l = listener;
        if (l != null) {
            l.recorded(jobId, index);
        }
    }

    void onResult(String jobId, int index, boolean ok) {
        metrics.taskResult(ok);
        onAnsweredAgain(jobId, index);
        Tally t = tallies.get(jobId);
        if (t == null) {
            return;
        }
        t.recorded(index, System.nanoTime());
        synchronized (t) {
            t.done++;
            if (!ok) {
                t.failed++;
            }
        }
        long now = System.currentTimeMillis();
        if (now - t.lastLogAt >= logIntervalMs && t.done < t.total) {
            t.lastLogAt = now;
            LOG.info("Job {}: {}/{} done ({}%), {} failed, {}/s, ETA {}s", jobId, t.done, t.total,
                    t.done * 100L / t.total, t.failed, Math.round(t.rate()), t.etaSeconds());
        }
    }
}
