package dev.taskfarm.ledger;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What every ledger database must do; run on H2 here and on PostgreSQL by {@link PostgresJobLedgerIT}. */
abstract class JobLedgerContract {

    JobLedger ledger;

    abstract javax.sql.DataSource dataSource() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        ledger = new JobLedger(dataSource());
        ledger.createSchema();
        ledger.createSchema(); // idempotent
    }

    @Test
    void registersAJobIdOnce() throws Exception {
        assertThat(ledger.register("j", "sha256", 3, 1000, 5000)).isTrue();
        assertThat(ledger.register("j", "echo", 9, 2000, 6000)).isFalse();
        assertThat(ledger.find("j").total()).isEqualTo(3);
    }

    @Test
    void registersAJobAndWhatBelongsToItInOneTransaction() throws Exception {
        // what runs with the registration (the ownership) fails: no row is left without it
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ledger.register("j", "sha256", 3, 1000, 5000, 1, c -> {
            throw new java.sql.SQLException("the ownership could not be written");
        })).hasMessageContaining("ownership");
        assertThat(ledger.find("j")).as("rolled back with it").isNull();

        List<String> seen = new ArrayList<>();
        assertThat(ledger.register("j", "sha256", 3, 1000, 5000, 2, c -> {
            try (var ps = c.prepareStatement("SELECT priority FROM tf_jobs WHERE job_id = 'j'"); var rs = ps.executeQuery()) {
                seen.add(rs.next() ? "row with priority " + rs.getInt(1) : "no row");
            }
        })).isTrue();
        assertThat(seen).as("runs after the insert, in its transaction").containsExactly("row with priority 2");
        assertThat(ledger.register("j", "echo", 9, 2000, 6000, 1, c -> seen.add("again"))).isFalse();
        assertThat(seen).as("not run for a job id that exists").hasSize(1);
        assertThat(ledger.find("j").total()).isEqualTo(3);
    }

    @Test
    void recordsEachResultOnceAndCountsIt() throws Exception {
        ledger.register("j", "sha256", 3, 1000, 5000);
        assertThat(ledger.record("j", new TaskResult(1, true, "\"a\"", null, "w"))).isTrue();
        assertThat(ledger.record("j", new TaskResult(1, true, "\"a\"", null, "w"))).as("duplicate").isFalse();
        assertThat(ledger.record("j", new TaskResult(0, false, null, "boom", "w"))).isTrue();
        JobRow job = ledger.find("j");
        assertThat(job.done()).isEqualTo(2);
        assertThat(job.failed()).isEqualTo(1);
        assertThat(ledger.hasResult("j", 1)).isTrue();
        assertThat(ledger.hasResult("j", 2)).isFalse();

        List<String> rows = new ArrayList<>();
        ledger.forEachResult("j", (i, st, res, err) -> rows.add(i + ":" + st + ":" + res + ":" + err));
        assertThat(rows).containsExactly("0:error:null:boom", "1:ok:\"a\":null");
    }

    @Test
    void neverCountsIntoAFinishedOrUnknownJob() throws Exception {
        ledger.register("j", "sha256", 2, 1000, 5000);
        assertThat(ledger.claimCompletion("j", "timeout")).isTrue();
        assertThat(ledger.claimCompletion("j", "size")).as("only one completion wins").isFalse();
        assertThat(ledger.record("j", new TaskResult(0, true, "1", null, null))).isFalse();
        assertThat(ledger.record("other", new TaskResult(0, true, "1", null, null))).isFalse();
        assertThat(ledger.hasResult("j", 0)).as("rolled back").isFalse();
        assertThat(ledger.finish("j", "timed_out", "/x", 9000)).isTrue();
        JobRow job = ledger.find("j");
        assertThat(job.status()).isEqualTo("timed_out");
        assertThat(job.completedBy()).isEqualTo("timeout");
        assertThat(job.done()).isZero();
    }

    @Test
    void neverCountsMoreResultsThanTasks() throws Exception {
        ledger.register("j", "sha256", 1, 1000, 5000);
        assertThat(ledger.record("j", new TaskResult(0, true, "1", null, null))).isTrue();
        assertThat(ledger.record("j", new TaskResult(5, true, "1", null, null))).isFalse();
        assertThat(ledger.find("j").done()).isEqualTo(1);
    }

    @Test
    void claimsAreExclusiveUntilReleased() throws Exception {
        assertThat(ledger.claim("inbox/a.json", "c1")).isTrue();
        assertThat(ledger.claim("inbox/a.json", "c2")).isFalse();
        assertThat(ledger.isClaimed("inbox/a.json")).isTrue();
        assertThat(ledger.releaseClaimsOlderThan(60_000)).as("fresh claims stay").isZero();
        assertThat(ledger.release("inbox/a.json")).isTrue();
        assertThat(ledger.claim("inbox/a.json", "c2")).isTrue();
        assertThat(ledger.claim("inbox/b.json", "c1")).isTrue();
        assertThat(ledger.releaseClaimsOf("c1")).as("a restarted c1 frees its own claims only").isEqualTo(1);
        assertThat(ledger.isClaimed("inbox/a.json")).isTrue();
    }

    @Test
    void listsJobsByStatusAndRecency() throws Exception {
        ledger.register("old", "sha256", 1, 1000, 5000);
        ledger.register("new", "sha256", 1, 2000, 5000);
        ledger.claimCompletion("old", "size");
        assertThat(ledger.inStatus(JobRow.RUNNING)).extracting(JobRow::jobId).containsExactly("new");
        assertThat(ledger.recent(1, null)).extracting(JobRow::jobId).containsExactly("new");
    }

    @Test
    void groupCommitRecordsManyJobsOnceAndClaimsInTheSameTransaction() throws Exception {
        ledger.register("a", "sha256", 3, 1000, 5000);
        ledger.register("b", "sha256", 2, 1000, 5000);
        ledger.register("done", "sha256", 1, 1000, 5000);
        ledger.claimCompletion("done", "size");
        java.util.Map<String, List<TaskResult>> batch = new java.util.LinkedHashMap<>();
        batch.put("a", List.of(new TaskResult(0, true, "1", null, null), new TaskResult(2, false, null, "x", null)));
        batch.put("b", List.of(new TaskResult(1, true, "2", null, null)));
        batch.put("done", List.of(new TaskResult(0, true, "3", null, null)));
        boolean[] claimed = new boolean[1];

        var counted = ledger.recordAll(batch, "b", "size", claimed);

        assertThat(counted).containsOnlyKeys("a", "b");
        assertThat(counted.get("a")).hasSize(2);
        assertThat(claimed[0]).isTrue();
        assertThat(ledger.find("a").done()).isEqualTo(2);
        assertThat(ledger.find("a").failed()).isEqualTo(1);
        assertThat(ledger.find("b").status()).isEqualTo(JobRow.COMPLETING);
        assertThat(ledger.find("done").done()).as("not counted into a job that is not running").isZero();
        assertThat(ledger.recordedIn("a", 0, 3).stream().boxed().toList()).containsExactly(0, 2);
    }

    @Test
    void groupCommitWithADuplicateFallsBackToOneByOne() throws Exception {
        ledger.register("j", "sha256", 3, 1000, 5000);
        ledger.record("j", new TaskResult(1, true, "1", null, null));

        var counted = ledger.recordAll(java.util.Map.of("j", List.of(new TaskResult(0, true, "0", null, null),
                new TaskResult(1, true, "1", null, null), new TaskResult(2, true, "2", null, null))));

        assertThat(counted.get("j")).extracting(TaskResult::index).containsExactly(0, 2);
        assertThat(ledger.find("j").done()).isEqualTo(3);
    }
}
