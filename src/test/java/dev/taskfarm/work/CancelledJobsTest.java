package dev.taskfarm.work;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CancelledJobsTest {

    @Test
    void remembersCancelledJobs() {
        CancelledJobs jobs = new CancelledJobs(Duration.ofHours(1), 10);
        jobs.add("a");
        assertThat(jobs.isCancelled("a")).isTrue();
        assertThat(jobs.isActive("a")).isFalse();
        assertThat(jobs.isCancelled("b")).isFalse();
        assertThat(jobs.isActive("b")).isTrue();
        assertThat(jobs.isCancelled(null)).isFalse();
    }

    @Test
    void forgetsThemAfterTheirTime() {
        AtomicLong nanos = new AtomicLong();
        CancelledJobs jobs = new CancelledJobs(Duration.ofMinutes(10), 10, nanos::get);
        jobs.add("a");
        nanos.addAndGet(Duration.ofMinutes(9).toNanos());
        jobs.add("b");
        assertThat(jobs.isCancelled("a")).isTrue();
        nanos.addAndGet(Duration.ofMinutes(2).toNanos());
        assertThat(jobs.isCancelled("a")).isFalse();
        assertThat(jobs.isCancelled("b")).isTrue();
        assertThat(jobs.size()).isEqualTo(1);
    }

    @Test
    void holdsAtMostItsCapacity() {
        CancelledJobs jobs = new CancelledJobs(Duration.ofHours(1), 3);
        for (String id : new String[] {"a", "b", "c", "d", "e"}) {
            jobs.add(id);
        }
        assertThat(jobs.size()).isEqualTo(3);
        assertThat(jobs.isCancelled("e")).isTrue();
    }
}
