package dev.taskfarm.work;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import org.apache.camel.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.wire.Wire;

/**
 * The jobs this process knows to be cancelled, each remembered for a while (long enough for the
 * requests a job left in the queue to drain) and at most {@code capacity} of them: a Caffeine
 * cache (expire after write, size bound; which entry a full cache forgets is Caffeine's choice).
 * A worker skips the tasks of these jobs without running them; a coordinator stops publishing
 * their tasks. Filled from the control broadcast (docs/WIRE.md, "Cancel"), and directly by the
 * coordinator that cancels a job.
 */
public class CancelledJobs {

    private static final Logger LOG = LoggerFactory.getLogger(CancelledJobs.class);

    private final Cache<String, Boolean> jobs;

    public CancelledJobs(Duration remember, int capacity) {
        this(remember, capacity, Ticker.systemTicker());
    }

    CancelledJobs(Duration remember, int capacity, Ticker ticker) {
        // maintenance (expiry, eviction) on the caller's thread: a cancel is rare, and a read that
        // triggers it does a few map operations at most
        this.jobs = Caffeine.newBuilder().expireAfterWrite(remember).maximumSize(capacity).ticker(ticker)
                .executor(Runnable::run).build();
    }

    public void add(String jobId) {
        if (jobId == null || jobId.isBlank()) {
            return;
        }
        if (jobs.asMap().put(jobId, Boolean.TRUE) == null) {
            LOG.info("Job {} is cancelled: its pending tasks will be skipped", jobId);
        }
    }

    /** One lookup in a concurrent map (plus Caffeine's expiry check): it runs for every task a worker takes. */
    public boolean isCancelled(String jobId) {
        return jobId != null && jobs.getIfPresent(jobId) != null;
    }

    /**
     * For the worker's route filter ({@code ref: cancelledTask}): the exchange is a task of a
     * cancelled job. A predicate from the registry costs a map lookup; a bean method call with a
     * parameter expression copies the exchange and its headers for every task (~20% of a worker's
     * CPU per tiny task, docs/BENCHMARKS.md).
     */
    public Predicate taskOfCancelledJob() {
        return exchange -> isCancelled(exchange.getMessage().getHeader(Wire.JOB_ID, String.class));
    }

    /** For route filters that keep what is not cancelled. */
    public boolean isActive(String jobId) {
        return !isCancelled(jobId);
    }

    /** Jobs remembered now (expired and evicted ones removed first). */
    public long size() {
        jobs.cleanUp();
        return jobs.estimatedSize();
    }
}
