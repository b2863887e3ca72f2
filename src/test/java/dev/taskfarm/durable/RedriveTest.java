package dev.taskfarm.durable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.TaskResult;

import static org.assertj.core.api.Assertions.assertThat;

/** The stall rule and ownership of the re-drive, on an H2 ledger. */
class RedriveTest {

    @TempDir
    Path dir;
    JobLedger ledger;
    JobInputs inputs;
    final AtomicLong ready = new AtomicLong();

    @BeforeEach
    void ledger() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        inputs = new JobInputs(dir.resolve("inputs"));
    }

    private Redrive redrive(String owner, long leaseMs, long stallMs) throws Exception {
        JobLeases leases = new JobLeases(ledger.dataSource(), owner, leaseMs);
        leases.createSchema();
        return new Redrive(ledger, leases, inputs, compute -> ready.get(), stallMs);
    }

    private void job(Redrive owner, String id, int tasks) throws Exception {
        Path file = dir.resolve(id + ".json");
        Files.writeString(file, "[" + "{},".repeat(tasks - 1) + "{}]");
        String digest = JobInputs.digest(file);
        inputs.keep(id, digest, file);
        ledger.register(id, "sha256", tasks, System.currentTimeMillis(), System.currentTimeMillis() + 600_000, 1,
                c -> owner.registered(c, id, digest));
    }

    @Test
    void aJobThatWasNeverFullyPublishedIsRedrivenAtOnce() throws Exception {
        Redrive r = redrive("a", 30_000, 60_000);
        job(r, "unpublished", 3);
        assertThat(r.stalledJobs()).containsExactly("unpublished");
    }

    @Test
    void aPublishedJobIsRedrivenOnlyWithoutProgressAndWithAnEmptyRequestsQueue() throws Exception {
        Redrive r = redrive("a", 30_000, 0);
        job(r, "published", 3);
        ledger.markPublished("published");
        assertThat(r.stalledJobs()).as("first seen: progress clock starts").isEmpty();
        ready.set(5);
        assertThat(r.stalledJobs()).as("requests still queued").isEmpty();
        ready.set(0);
        assertThat(r.stalledJobs()).containsExactly("published");
        ledger.record("published", new TaskResult(0, true, "\"x\"", null, "w"));
        assertThat(r.stalledJobs()).as("a new result is progress").isEmpty();
    }

    @Test
    void aJobWhoseOwnerStoppedRenewingIsTakenOverByExactlyOneCoordinator() throws Exception {
        Redrive dead = redrive("dead", -1, 60_000);
        job(dead, "orphan", 2);
        Redrive b = redrive("b", 30_000, 60_000);
        Redrive c = redrive("c", 30_000, 60_000);
        assertThat(b.stalledJobs()).as("not b's job yet").isEmpty();
        b.renewLeases();
        c.renewLeases();
        assertThat(b.stalledJobs()).containsExactly("orphan");
        assertThat(c.stalledJobs()).as("b won the take-over").isEmpty();
    }
}
