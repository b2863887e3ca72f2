package dev.taskfarm.durable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.ledger.SchemaChange;

/**
 * Job ownership in the ledger, for one or several coordinators sharing it. Every running job has an
 * owner (the coordinator instance that accepted it, {@code taskfarm.instance-id}) and a lease: the
 * owner renews the leases of its running jobs on every re-drive tick; a job whose lease has expired
 * (its owner died, or it predates ownership) is taken over by the first coordinator whose tick sees
 * it, with a conditional update, so exactly one wins. Only the owner re-drives a job. The input's
 * digest and the number of re-drives (the publish epoch) are kept in the same row.
 */
public class JobLeases {

    private static final Logger LOG = LoggerFactory.getLogger("taskfarm.jobs");

    /** A running job as the re-drive sees it. */
    public record Owned(String jobId, int total, int done, boolean published, String digest, int epoch) {
    }

    private final DataSource dataSource;
    private final String owner;
    private final long leaseMs;

    public JobLeases(DataSource dataSource, String owner, long leaseMs) {
        this.dataSource = dataSource;
        this.owner = owner;
        this.leaseMs = leaseMs;
    }

    public String owner() {
        return owner;
    }

    /** Adds the ownership columns to the jobs table (H2 and PostgreSQL both know ADD COLUMN IF NOT EXISTS). */
    public void createSchema() throws SQLException {
        SchemaChange.apply(dataSource,
                "ALTER TABLE tf_jobs ADD COLUMN IF NOT EXISTS owner VARCHAR(200)",
                "ALTER TABLE tf_jobs ADD COLUMN IF NOT EXISTS lease_until BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE tf_jobs ADD COLUMN IF NOT EXISTS input_digest VARCHAR(64)",
                "ALTER TABLE tf_jobs ADD COLUMN IF NOT EXISTS redrives INT DEFAULT 0 NOT NULL");
    }

    /** A job this coordinator just registered: it owns it, and this is its input. */
    public void own(Connection c, String jobId, String digest) throws SQLException {
        update(c, "UPDATE tf_jobs SET owner = ?, lease_until = ?, input_digest = ? WHERE job_id = ?",
                owner, System.currentTimeMillis() + leaseMs, digest, jobId);
    }

    /** The digest of a job's input, or null when unknown. */
    public String digest(String jobId) throws SQLException {
        return (String) column("input_digest", jobId);
    }

    /**
     * Renews the leases of this coordinator's running jobs and takes over the running jobs whose
     * lease expired; returns the ids taken over.
     */
    public List<String> renewAndTakeOver() throws SQLException {
        long now = System.currentTimeMillis();
        update("UPDATE tf_jobs SET lease_until = ? WHERE owner = ? AND status = ?", now + leaseMs, owner, JobRow.RUNNING);
        List<String[]> expired = query("SELECT job_id, owner, lease_until FROM tf_jobs WHERE status = ? AND lease_until < ?",
                rs -> new String[] {rs.getString(1), rs.getString(2), String.valueOf(rs.getLong(3))}, JobRow.RUNNING, now);
        List<String> taken = new ArrayList<>();
        for (String[] e : expired) {
            // only the coordinator whose update still sees the expired lease wins
            if (update("UPDATE tf_jobs SET owner = ?, lease_until = ? WHERE job_id = ? AND status = ? AND lease_until = ?",
                    owner, now + leaseMs, e[0], JobRow.RUNNING, Long.parseLong(e[2])) == 1) {
                taken.add(e[0]);
                LOG.warn("Job {} taken over from {} (its lease expired): this coordinator ({}) now publishes, re-drives and"
                        + " times it out", e[0], e[1] == null ? "no owner" : e[1], owner);
            }
        }
        return taken;
    }

    /** The running jobs this coordinator owns. */
    public List<Owned> owned() throws SQLException {
        return query("SELECT job_id, total, done, published, input_digest, redrives FROM tf_jobs"
                + " WHERE status = ? AND owner = ? ORDER BY created_at",
                rs -> new Owned(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getBoolean(4), rs.getString(5), rs.getInt(6)),
                JobRow.RUNNING, owner);
    }

    /** Counts a re-drive of the job (its publish epoch); returns the new epoch. */
    public int redriven(String jobId) throws SQLException {
        update("UPDATE tf_jobs SET redrives = redrives + 1 WHERE job_id = ?", jobId);
        Object epoch = column("redrives", jobId);
        return epoch == null ? 0 : ((Number) epoch).intValue();
    }

    /** One column of a job's row, or null when there is no such job. */
    private Object column(String column, String jobId) throws SQLException {
        List<Object> values = query("SELECT " + column + " FROM tf_jobs WHERE job_id = ?", rs -> rs.getObject(1), jobId);
        return values.isEmpty() ? null : values.get(0);
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, Row<T> row, Object... params) throws SQLException {
        List<T> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row.read(rs));
                }
            }
        }
        return rows;
    }

    private int update(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return update(c, sql, params);
        }
    }

    /** An update on the caller's connection (in its transaction). */
    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }
}
