package dev.taskfarm.ledger;

import javax.sql.DataSource;

import dev.taskfarm.support.TestDatabases;

/** The same ledger contract on the real PostgreSQL. */
class PostgresJobLedgerIT extends JobLedgerContract {

    @Override
    DataSource dataSource() throws Exception {
        return TestDatabases.freshSchema();
    }
}
