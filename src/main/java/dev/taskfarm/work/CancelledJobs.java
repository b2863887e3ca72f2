package dev.taskfarm.work;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.wire.Wire;

/**
 * The jobs this process knows to be cancelled, each remembered for a while (long enough for the
 * requests a job left in the queue to drain) and at most {@code capacity} of them. A worker skips
 * the tasks of these jobs without running them; a coordinator stops publishing their tasks.
 * Filled from the control broadcast (docs/WIRE.md, "Cancel"), and directly by the coordinator that
 * cancels a job.
 */
public class CancelledJobs {

    private static final Logger LOG = LoggerFactory.getLogger(CancelledJobs.class);

    private final Map<String, Long> expiresAt = new ConcurrentHashMap<>();
    private final long rememberMs;
    private final int capacity;

    public CancelledJobs(Duration remember, int capacity) {
        this.rememberMs = remember.toMillis();
        this.capacity = capacity;
    }

    public void add(String jobId) {
        if (jobId == null || jobId.isBlank()) {
            return;
        }
        long now = System.currentTimeMillis();
        if (expiresAt.size() >= capacity) {
            expiresAt.values().removeIf(t -> t < now);
            if (expiresAt.size() >= capacity) {
                // still full of live entries: forget the one closest to expiry
                expiresAt.entrySet().stream().min(Map.Entry.comparingByValue())
                        .ifPresent(oldest -> expiresAt.remove(oldest.getKey()));
            }
        }
        if (expiresAt.put(jobId, now + rememberMs) == null) {
            LOG.info("Job {} is cancelled: its pending tasks will be skipped", jobId);
        }
    }

    public boolean isCancelled(String jobId) {
        if (jobId == null) {
            return false;
        }
        Long until = expiresAt.get(jobId);
        if (until == null) {
            return false;
        }
        if (until < System.currentTimeMillis()) {
            expiresAt.remove(jobId, until);
            return false;
        }
        return true;
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

    public int size() {
        return expiresAt.size();
    }
}
