package dev.taskfarm.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

/**
 * Applies idempotent DDL ({@code IF NOT EXISTS}) in one transaction. On PostgreSQL the transaction
 * first takes an advisory lock, because its {@code CREATE TABLE IF NOT EXISTS} is not safe against a
 * concurrent one: two coordinators starting together on an empty database would otherwise fail one
 * of them with a duplicate key in {@code pg_type}. PostgreSQL's DDL is transactional, so the second
 * coordinator waits for the first one's commit and then finds everything in place. H2 (one process)
 * needs no lock.
 */
public final class SchemaChange {

    /** Any fixed number: the advisory lock only taskfarm's schema changes take. */
    private static final long LOCK_KEY = 0x7461736b6661726dL; // "taskfarm"

    private SchemaChange() {
    }

    public static void apply(DataSource dataSource, String... statements) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                if ("PostgreSQL".equals(c.getMetaData().getDatabaseProductName())) {
                    s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                }
                for (String statement : statements) {
                    s.execute(statement);
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }
}
