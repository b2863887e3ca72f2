package dev.taskfarm.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * taskfarm's own metrics, registered in the given Micrometer registry: in the farm the
 * {@code PrometheusMeterRegistry} camel-micrometer-prometheus serves on {@code /observe/metrics}
 * ({@code metricsRegistry}, see {@code SharedBeans}), so Camel's meters and taskfarm's are served
 * together. Prometheus names:
 * <ul>
 * <li>{@code taskfarm_tasks_published_total}, {@code taskfarm_tasks_completed_total},
 * {@code taskfarm_tasks_failed_total}, {@code taskfarm_tasks_skipped_total}: all jobs</li>
 * <li>{@code taskfarm_job_tasks{job,state=total|published|done|failed}},
 * {@code taskfarm_job_progress_ratio{job}}, {@code taskfarm_job_rate_tasks_per_second{job}},
 * {@code taskfarm_job_eta_seconds{job}}: per job, while it runs and for a while after</li>
 * <li>{@code taskfarm_jobs_running}, {@code taskfarm_jobs_finished_total{status}}</li>
 * <li>{@code taskfarm_queue_depth_messages{queue}}: as last seen by the coordinator</li>
 * <li>{@code taskfarm_task_duration_seconds}: compute time per task on a worker (histogram)</li>
 * <li>{@code taskfarm_replies_malformed_total{problem}}: replies that break the wire contract
 * (docs/WIRE.md "Malformed replies"), recorded as failed tasks; {@code taskfarm_replies_dropped_total{reason}}:
 * replies the coordinator drops (duplicate, unknown-job, finished-job, out-of-range)</li>
 * <li>{@code taskfarm_reply_batch_replies}: replies per reply batch received (docs/WIRE.md "Reply
 * batches"; {@code _count} batches, {@code _sum} replies in them)</li>
 * </ul>
 * Per-job series are removed some time after the job ends (taskfarm.metrics.finished-job-retention),
 * so a long-running coordinator does not collect one series per job forever.
 */
public class FarmMetrics {

    private static final String[] PUBLISHED = {"taskfarm.tasks.published", "Tasks published on the requests queue"};
    private static final String[] COMPLETED = {"taskfarm.tasks.completed", "Tasks that ended with an ok result"};
    private static final String[] FAILED = {"taskfarm.tasks.failed", "Tasks that ended with an error result"};
    private static final String[] SKIPPED = {"taskfarm.tasks.skipped", "Tasks a worker skipped because their job was cancelled"};

    private final MeterRegistry registry;
    private final Duration retention;
    private final Map<String, List<Meter>> jobMeters = new ConcurrentHashMap<>();
    private final Map<String, Long> endedAt = new ConcurrentHashMap<>();
    private final Map<String, Meter> meters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> holders = new ConcurrentHashMap<>();

    public FarmMetrics(MeterRegistry registry, Duration retention) {
        this.registry = registry;
        this.retention = retention;
        // counters exist from the start (at 0), so a dashboard never sees them appear late
        for (String[] c : new String[][] {PUBLISHED, COMPLETED, FAILED, SKIPPED}) {
            counter(c);
        }
        taskTimer();
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void tasksPublished(int count) {
        counter(PUBLISHED).increment(count);
    }

    public void taskResult(boolean ok) {
        counter(ok ? COMPLETED : FAILED).increment();
    }

    /** Tasks of a cancelled job a worker acknowledged without running them: one, or a chunk's. */
    public void taskSkipped(@org.apache.camel.Header("TaskfarmChunkSize") Integer chunkSize) {
        counter(SKIPPED).increment(chunkSize == null ? 1 : chunkSize);
    }

    /** A reply broke the wire contract; {@code problem} says how (a short name). */
    public void replyMalformed(String problem) {
        tagged("taskfarm.replies.malformed", "Replies that break the wire contract, recorded as failed tasks",
                "problem", problem).increment();
    }

    /** A reply batch of this many replies was received. */
    public void replyBatch(int replies) {
        ((io.micrometer.core.instrument.DistributionSummary) meters.computeIfAbsent("taskfarm.reply.batch",
                n -> io.micrometer.core.instrument.DistributionSummary.builder("taskfarm.reply.batch").baseUnit("replies")
                        .description("Replies per reply batch received from the workers").register(registry)))
                .record(replies);
    }

    /** A reply was dropped by the reply gate; {@code reason}: duplicate, unknown-job, finished-job, out-of-range. */
    public void replyDropped(String reason) {
        tagged("taskfarm.replies.dropped", "Replies the coordinator drops (duplicates, unknown or finished jobs)",
                "reason", reason).increment();
    }

    private Counter tagged(String name, String help, String tag, String value) {
        return (Counter) meters.computeIfAbsent(name + "|" + value, n -> Counter.builder(name).description(help)
                .tag(tag, value).register(registry));
    }

    public void taskDuration(long nanos) {
        taskTimer().record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer taskTimer() {
        return (Timer) meters.computeIfAbsent("taskfarm.task.duration", n -> Timer.builder(n)
                .description("Compute time of one task on a worker")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry));
    }

    /** Gauges of a job's live numbers, read from its progress tally. */
    public void jobStarted(JobFigures tally) {
        sweep();
        registerJob(registry, tally);
    }

    private void registerJob(MeterRegistry r, JobFigures tally) {
        String job = tally.jobId();
        remove(job);
        List<Meter> list = new CopyOnWriteArrayList<>();
        list.add(jobGauge(r, "taskfarm.job.tasks", job, "total", tally, t -> t.total()));
        list.add(jobGauge(r, "taskfarm.job.tasks", job, "published", tally, t -> t.published()));
        list.add(jobGauge(r, "taskfarm.job.tasks", job, "done", tally, t -> t.done()));
        list.add(jobGauge(r, "taskfarm.job.tasks", job, "failed", tally, t -> t.failed()));
        list.add(Gauge.builder("taskfarm.job.progress.ratio", tally, t -> t.total() == 0 ? 0 : (double) t.done() / t.total())
                .description("Share of the job's tasks with a result").tag("job", job).strongReference(true).register(r));
        list.add(Gauge.builder("taskfarm.job.rate", tally, JobFigures::rate).baseUnit("tasks.per.second")
                .description("Results per second since the job started").tag("job", job).strongReference(true).register(r));
        list.add(Gauge.builder("taskfarm.job.eta", tally, t -> Math.max(0, t.etaSeconds())).baseUnit("seconds")
                .description("Estimated time until every task has a result").tag("job", job).strongReference(true).register(r));
        jobMeters.put(job, list);
        endedAt.remove(job);
    }

    /** Counts the finished job; its gauges stay for the retention period (frozen at the end). */
    public void jobFinished(String jobId, String status) {
        Counter.builder("taskfarm.jobs.finished").description("Jobs that ended, by final status")
                .tag("status", status).register(registry).increment();
        endedAt.put(jobId, System.currentTimeMillis());
        sweep();
    }

    /** A gauge that reads a value when scraped (e.g. running jobs). */
    public void gauge(String name, String description, Supplier<Number> value) {
        meters.computeIfAbsent(name, n -> Gauge.builder(n, value, v -> v.get().doubleValue())
                .description(description).strongReference(true).register(registry));
    }

    /** A gauge with one tag, for a value this class is told (e.g. a queue depth). */
    public void set(String name, String description, String tag, String tagValue, double value) {
        AtomicLong holder = holders.computeIfAbsent(name + "|" + tagValue, k -> {
            AtomicLong h = new AtomicLong();
            Gauge.builder(name, h, AtomicLong::get).description(description).tag(tag, tagValue).register(registry);
            return h;
        });
        holder.set((long) value);
    }

    private void sweep() {
        long cutoff = System.currentTimeMillis() - retention.toMillis();
        endedAt.forEach((job, at) -> {
            if (at < cutoff) {
                remove(job);
                endedAt.remove(job);
            }
        });
    }

    private void remove(String job) {
        List<Meter> old = jobMeters.remove(job);
        if (old != null) {
            old.forEach(registry::remove);
        }
    }

    private Counter counter(String[] nameAndHelp) {
        return (Counter) meters.computeIfAbsent(nameAndHelp[0], n -> Counter.builder(n).description(nameAndHelp[1])
                .register(registry));
    }

    private static <T> Meter jobGauge(MeterRegistry r, String name, String job, String state, T obj, ToDoubleFunction<T> f) {
        return Gauge.builder(name, obj, f).description("Tasks of a job, by state").tag("job", job).tag("state", state)
                .strongReference(true).register(r);
    }
}
