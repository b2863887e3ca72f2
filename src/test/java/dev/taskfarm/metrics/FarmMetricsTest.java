package dev.taskfarm.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import dev.taskfarm.collect.JobProgress;

import static org.assertj.core.api.Assertions.assertThat;

class FarmMetricsTest {

    static FarmMetrics metrics(MeterRegistry registry, Duration retention) {
        return new FarmMetrics(registry, retention);
    }

    @Test
    void countersExistFromTheStartAndJobsGetGauges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FarmMetrics metrics = metrics(registry, Duration.ofMinutes(5));
        assertThat(registry.get("taskfarm.tasks.published").counter().count()).isZero();
        assertThat(registry.get("taskfarm.task.duration").timer().count()).isZero();
        JobProgress progress = new JobProgress(1000, metrics);
        progress.track("job-1", 10, 0, 0, System.currentTimeMillis());

        assertThat(registry.get("taskfarm.jobs.running").gauge().value()).isEqualTo(1);
        assertThat(registry.get("taskfarm.job.tasks").tag("job", "job-1").tag("state", "total").gauge().value()).isEqualTo(10);
        assertThat(registry.get("taskfarm.tasks.failed").counter().count()).isZero();
    }

    @Test
    void perJobSeriesGoAwayAfterTheRetention() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FarmMetrics metrics = metrics(registry, Duration.ofMillis(-1));
        JobProgress progress = new JobProgress(1000, metrics);
        progress.track("job-2", 3, 0, 0, System.currentTimeMillis());
        assertThat(registry.find("taskfarm.job.progress.ratio").tag("job", "job-2").gauge()).isNotNull();

        progress.finished("job-2", "completed");

        assertThat(registry.find("taskfarm.job.progress.ratio").tag("job", "job-2").gauge()).isNull();
        assertThat(registry.get("taskfarm.jobs.finished").tag("status", "completed").counter().count()).isEqualTo(1);
    }

    @Test
    void aFinishedJobsGaugesAreFrozenUntilTheyGo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FarmMetrics metrics = metrics(registry, Duration.ofMinutes(5));
        JobProgress progress = new JobProgress(1000, metrics);
        progress.track("job-3", 4, 4, 0, System.currentTimeMillis() - 2000);
        progress.finished("job-3", "completed");
        double rate = registry.get("taskfarm.job.rate").tag("job", "job-3").gauge().value();

        assertThat(rate).isBetween(1.0, 2.0);
        assertThat(registry.get("taskfarm.job.rate").tag("job", "job-3").gauge().value()).isEqualTo(rate);
        assertThat(registry.get("taskfarm.job.tasks").tag("job", "job-3").tag("state", "done").gauge().value()).isEqualTo(4);
    }

    @Test
    void taskDurationsFeedAHistogram() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FarmMetrics metrics = metrics(registry, Duration.ofMinutes(5));
        metrics.taskDuration(Duration.ofMillis(12).toNanos());
        assertThat(registry.get("taskfarm.task.duration").timer().count()).isEqualTo(1);
    }
}
