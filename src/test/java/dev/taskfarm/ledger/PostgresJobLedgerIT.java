package dev.taskfarm.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import dev.taskfarm.durable.JobLeases;
import dev.taskfarm.support.TestDatabases;

import static org.assertj.core.api.Assertions.assertThat;

/** The same ledger contract on the real PostgreSQL. */
class PostgresJobLedgerIT extends JobLedgerContract {

    private static final int COORDINATORS = 4;
    private static final int ROUNDS = 10;

    @Override
    DataSource dataSource() throws Exception {
        return TestDatabases.freshSchema();
    }

    /**
     * Coordinator pods start together (a Deployment with replicas: 2): each creates the schema on an
     * empty database at the same moment. PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against
     * a concurrent one (duplicate key in pg_type); one coordinator failed to start in CI.
     */
    @Test
    void coordinatorsStartingTogetherOnAnEmptyDatabaseAllCreateTheSchema() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(COORDINATORS);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                DataSource empty = TestDatabases.freshSchema();
                CyclicBarrier together = new CyclicBarrier(COORDINATORS);
                List<Future<Void>> starts = new ArrayList<>();
                for (int i = 0; i < COORDINATORS; i++) {
                    String owner = "coordinator-" + i;
                    Callable<Void> start = () -> {
                        together.await();
                        new JobLedger(empty).createSchema();
                        new JobLeases(empty, owner, 30_000).createSchema();
                        return null;
                    };
                    starts.add(pool.submit(start));
                }
                for (Future<Void> start : starts) {
                    start.get(); // throws what a coordinator's start threw
                }
                assertThat(new JobLedger(empty).register("j" + round, "sha256", 1, 1, 2)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
