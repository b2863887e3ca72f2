package dev.taskfarm.support;

import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL the tests use: {@code TASKFARM_TEST_PG_URL} (default the local server's
 * {@code test} database), user {@code TASKFARM_TEST_PG_USER} (default postgres). Each caller gets
 * a fresh schema, so tests never see each other's jobs.
 */
public final class TestDatabases {

    private TestDatabases() {
    }

    public static String url() {
        String url = System.getenv("TASKFARM_TEST_PG_URL");
        return url == null || url.isBlank() ? "jdbc:postgresql://127.0.0.1:5432/test" : url;
    }

    public static String user() {
        String user = System.getenv("TASKFARM_TEST_PG_USER");
        return user == null || user.isBlank() ? "postgres" : user;
    }

    /** Creates an empty schema and returns a JDBC URL whose default schema it is. */
    public static String freshSchemaUrl() throws Exception {
        String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url());
        ds.setUser(user());
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return url() + (url().contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public static PGSimpleDataSource freshSchema() throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(freshSchemaUrl());
        ds.setUser(user());
        return ds;
    }
}
