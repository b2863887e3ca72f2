package dev.taskfarm.collect;

import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobRow;

import static org.assertj.core.api.Assertions.assertThat;

class FinalStatusTest {

    private static JobRow job(int total, int done, int failed) {
        return new JobRow("j", "sha256", total, done, failed, JobRow.COMPLETING, true, 0, 0, 0, null, null);
    }

    @Test
    void statusFollowsCounts() {
        assertThat(ResultWriter.finalStatus(job(3, 3, 0), "size")).isEqualTo("completed");
        assertThat(ResultWriter.finalStatus(job(3, 3, 1), "size")).isEqualTo("partial");
        assertThat(ResultWriter.finalStatus(job(3, 3, 3), "size")).isEqualTo("failed");
        assertThat(ResultWriter.finalStatus(job(3, 2, 0), "timeout")).isEqualTo("timed_out");
        assertThat(ResultWriter.finalStatus(job(3, 2, 0), "watchdog")).isEqualTo("timed_out");
        assertThat(ResultWriter.finalStatus(job(3, 1, 0), "cancel")).isEqualTo("cancelled");
        assertThat(ResultWriter.finalStatus(job(3, 3, 0), "watchdog")).as("all results in: not a timeout").isEqualTo("completed");
    }
}
