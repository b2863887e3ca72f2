package dev.taskfarm.work;

import java.time.Duration;

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
        CancelledJobs jobs = new CancelledJobs(Duration.ofMillis(-1), 10);
        jobs.add("a");
        assertThat(jobs.isCancelled("a")).isFalse();
        assertThat(jobs.size()).isZero();
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
