package dev.taskfarm.collect;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live progress of the jobs this coordinator collects: counts since start, rate and ETA, logged
 * at most once per interval per job so a fast job does not flood the log.
 */
public class JobProgress {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.progress");

    /** A job's live numbers. */
    public static final class Tally {
        final String jobId;
        final int total;
        final long startedAt;
        volatile int done;
        volatile int failed;
        volatile long lastLogAt;

        Tally(String jobId, int total, int done, int failed, long startedAt) {
            this.jobId = jobId;
            this.total = total;
            this.done = done;
            this.failed = failed;
            this.startedAt = startedAt;
            this.lastLogAt = System.currentTimeMillis();
        }

        public int done() {
            return done;
        }

        public int failed() {
            return failed;
        }

        public int total() {
            return total;
        }

        /** Results per second since the job started. */
        public double rate() {
            long elapsed = Math.max(1, System.currentTimeMillis() - startedAt);
            return done * 1000.0 / elapsed;
        }

        /** Seconds until every task is done at the current rate, or -1 when unknown. */
        public long etaSeconds() {
            double rate = rate();
            return rate <= 0 ? -1 : Math.round((total - done) / rate);
        }
    }

    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    private final long logIntervalMs;

    public JobProgress(long logIntervalMs) {
        this.logIntervalMs = logIntervalMs;
    }

    /** Starts tracking a job (also after a restart, with the counts the ledger holds). */
    public void track(String jobId, int total, int done, int failed, long startedAt) {
        tallies.put(jobId, new Tally(jobId, total, done, failed, startedAt));
    }

    public Tally get(String jobId) {
        return tallies.get(jobId);
    }

    public void forget(String jobId) {
        tallies.remove(jobId);
    }

    void onResult(String jobId, boolean ok) {
        Tally t = tallies.get(jobId);
        if (t == null) {
            return;
        }
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
