package dev.taskfarm.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

/**
 * The durable record of jobs and their task results: one row per job, one row per task result.
 * Recording a result is one insert plus one counter update in a single transaction, so the cost
 * per reply does not grow with the job; the row's primary key (job, index) makes recording
 * idempotent. Works on H2 (default, file under data/) and PostgreSQL.
 */
public class JobLedger {

    /** Callback for streaming a job's results in index order. */
    public interface ResultVisitor {
        void visit(int index, String status, String result, String error) throws Exception;
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String JOB_COLUMNS = "job_id, compute, total, done, failed, status, published, created_at, "
            + "deadline_at, finished_at, completed_by, result_path, priority";

    private final DataSource dataSource;

    public JobLedger(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public void createSchema() throws SQLException {
        SchemaChange.apply(dataSource,
                "CREATE TABLE IF NOT EXISTS tf_jobs ("
                        + "job_id VARCHAR(100) PRIMARY KEY, compute VARCHAR(100) NOT NULL, total INT NOT NULL,"
                        + " done INT NOT NULL DEFAULT 0, failed INT NOT NULL DEFAULT 0, status VARCHAR(20) NOT NULL,"
                        + " published BOOLEAN NOT NULL DEFAULT FALSE, created_at BIGINT NOT NULL, deadline_at BIGINT NOT NULL,"
                        + " finished_at BIGINT NOT NULL DEFAULT 0, completed_by VARCHAR(20), result_path VARCHAR(1000))",
                "CREATE TABLE IF NOT EXISTS tf_results ("
                        + "job_id VARCHAR(100) NOT NULL, idx INT NOT NULL, status VARCHAR(10) NOT NULL,"
                        + " result VARCHAR, error VARCHAR(2000), worker VARCHAR(200), PRIMARY KEY (job_id, idx))",
                // the job's share weight of the dispatch windows (a ledger from before priorities: every job 1)
                "ALTER TABLE tf_jobs ADD COLUMN IF NOT EXISTS priority INT DEFAULT 1 NOT NULL",
                "CREATE INDEX IF NOT EXISTS tf_jobs_status ON tf_jobs (status)",
                "CREATE TABLE IF NOT EXISTS tf_claims (claim_key VARCHAR(1000) PRIMARY KEY, owner VARCHAR(200) NOT NULL,"
                        + " claimed_at BIGINT NOT NULL)");
    }

    /** Registers a new job; false if a job with that id exists already. */
    public boolean register(String jobId, String compute, int total, long now, long deadline) throws SQLException {
        return register(jobId, compute, total, now, deadline, 1);
    }

    /** Registers a new job with its priority; false if a job with that id exists already. */
    public boolean register(String jobId, String compute, int total, long now, long deadline, int priority)
            throws SQLException {
        return register(jobId, compute, total, now, deadline, priority, null);
    }

    /** Statements that belong to another statement's transaction (a job's ownership, with its row). */
    @FunctionalInterface
    public interface SameTransaction {
        void run(Connection c) throws SQLException;
    }

    /**
     * Registers a new job with its priority and, in the same transaction (one commit, and never a
     * row without them), what {@code also} writes; false, changing nothing, if a job with that id
     * exists already.
     */
    public boolean register(String jobId, String compute, int total, long now, long deadline, int priority,
            SameTransaction also) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = prepare(c, "INSERT INTO tf_jobs (job_id, compute, total, status, created_at,"
                    + " deadline_at, priority) VALUES (?, ?, ?, ?, ?, ?, ?)", jobId, compute, total, JobRow.RUNNING, now,
                    deadline, priority)) {
                ps.executeUpdate();
                if (also != null) {
                    also.run(c);
                }
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                if (isUniqueViolation(e)) {
                    return false;
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    public void markPublished(String jobId) throws SQLException {
        execute("UPDATE tf_jobs SET published = TRUE WHERE job_id = ?", jobId);
    }

    public JobRow find(String jobId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM tf_jobs WHERE job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? row(rs) : null;
            }
        }
    }

    /** Jobs in the given status, oldest first. */
    public List<JobRow> inStatus(String status) throws SQLException {
        return query("SELECT " + JOB_COLUMNS + " FROM tf_jobs WHERE status = ? ORDER BY created_at", status);
    }

    /** The most recent jobs, newest first, optionally only those in one status. */
    public List<JobRow> recent(int limit, String status) throws SQLException {
        String where = status == null ? "" : " WHERE status = ?";
        List<JobRow> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM tf_jobs" + where
                     + " ORDER BY created_at DESC, job_id LIMIT ?")) {
            int i = 1;
            if (status != null) {
                ps.setString(i++, status);
            }
            ps.setInt(i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs));
                }
            }
        }
        return rows;
    }

    public boolean hasResult(String jobId, int index) throws SQLException {
        return exists("SELECT 1 FROM tf_results WHERE job_id = ? AND idx = ?", jobId, index);
    }

    /**
     * Records one task result and counts it, in one transaction. Returns false, changing nothing,
     * when the result is already recorded or the job is no longer running: a result is never
     * counted twice, nor into a finished job.
     */
    public boolean record(String jobId, TaskResult r) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO tf_results (job_id, idx, status, result, error,"
                        + " worker) VALUES (?, ?, ?, ?, ?, ?)")) {
                    bindResult(ps, jobId, r);
                    ps.executeUpdate();
                }
                int counted;
                try (PreparedStatement ps = c.prepareStatement("UPDATE tf_jobs SET done = done + 1, failed = failed + ?"
                        + " WHERE job_id = ? AND status = ? AND done < total")) {
                    ps.setInt(1, r.ok() ? 0 : 1);
                    ps.setString(2, jobId);
                    ps.setString(3, JobRow.RUNNING);
                    counted = ps.executeUpdate();
                }
                if (counted == 1) {
                    c.commit();
                    return true;
                }
                c.rollback();
                return false;
            } catch (SQLException e) {
                c.rollback();
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    return false;
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** The indexes in [from, to) of a job that have a recorded result. */
    public java.util.BitSet recordedIn(String jobId, int from, int to) throws SQLException {
        java.util.BitSet seen = new java.util.BitSet();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT idx FROM tf_results WHERE job_id = ? AND idx >= ? AND idx < ?")) {
            ps.setString(1, jobId);
            ps.setInt(2, from);
            ps.setInt(3, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    seen.set(rs.getInt(1));
                }
            }
        }
        return seen;
    }

    /**
     * Records many results of many jobs in one transaction (a group commit): per job one counter
     * update and a batch of inserts. A job whose counter update fails (not running, or the batch
     * would overflow its task count because some result is recorded already) and every job of a
     * batch that hits an existing result are recorded one by one instead, so each result is
     * counted at most once and none is lost.
     *
     * @return per job, the results that were recorded and counted
     */
    public java.util.Map<String, List<TaskResult>> recordAll(java.util.Map<String, List<TaskResult>> results)
            throws SQLException {
        return recordAll(results, null, null, new boolean[1]);
    }

    /**
     * {@link #recordAll(java.util.Map)}, then in the same transaction {@link #claimCompletion}
     * of {@code claimJobId} (when not null): a completing job costs one commit, not two.
     *
     * @param claimed set to whether the claim succeeded
     */
    public java.util.Map<String, List<TaskResult>> recordAll(java.util.Map<String, List<TaskResult>> results,
            String claimJobId, String completedBy, boolean[] claimed) throws SQLException {
        java.util.Map<String, List<TaskResult>> counted = new java.util.LinkedHashMap<>();
        List<String> oneByOne = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement count = c.prepareStatement("UPDATE tf_jobs SET done = done + ?, failed = failed + ?"
                        + " WHERE job_id = ? AND status = ? AND done + ? <= total");
                     PreparedStatement insert = c.prepareStatement("INSERT INTO tf_results (job_id, idx, status, result,"
                             + " error, worker) VALUES (?, ?, ?, ?, ?, ?)")) {
                    boolean any = false;
                    for (var e : results.entrySet()) {
                        List<TaskResult> rs = e.getValue();
                        int failed = (int) rs.stream().filter(r -> !r.ok()).count();
                        count.setInt(1, rs.size());
                        count.setInt(2, failed);
                        count.setString(3, e.getKey());
                        count.setString(4, JobRow.RUNNING);
                        count.setInt(5, rs.size());
                        if (count.executeUpdate() != 1) {
                            oneByOne.add(e.getKey());
                            continue;
                        }
                        for (TaskResult r : rs) {
                            bindResult(insert, e.getKey(), r);
                            insert.addBatch();
                            any = true;
                        }
                        counted.put(e.getKey(), rs);
                    }
                    if (any) {
                        insert.executeBatch();
                    }
                }
                if (claimJobId != null && !oneByOne.contains(claimJobId)) {
                    claimed[0] = claimCompletion(c, claimJobId, completedBy);
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                if (!isUniqueViolation(e)) {
                    throw e;
                }
                counted.clear();
                oneByOne.clear();
                oneByOne.addAll(results.keySet());
            } finally {
                c.setAutoCommit(true);
            }
        }
        for (String jobId : oneByOne) {
            for (TaskResult r : results.get(jobId)) {
                if (record(jobId, r)) {
                    counted.computeIfAbsent(jobId, k -> new ArrayList<>()).add(r);
                }
            }
        }
        if (claimJobId != null && oneByOne.contains(claimJobId)) {
            claimed[0] = claimCompletion(claimJobId, completedBy);
        }
        return counted;
    }

    private static boolean isUniqueViolation(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            if (UNIQUE_VIOLATION.equals(x.getSQLState())) {
                return true;
            }
        }
        return e.getCause() instanceof SQLException cause && UNIQUE_VIOLATION.equals(cause.getSQLState());
    }

    private static void bindResult(PreparedStatement ps, String jobId, TaskResult r) throws SQLException {
        ps.setString(1, jobId);
        ps.setInt(2, r.index());
        ps.setString(3, r.ok() ? "ok" : "error");
        ps.setString(4, r.result());
        ps.setString(5, truncate(r.error(), 2000));
        ps.setString(6, truncate(r.worker(), 200));
    }

    /** Moves a running job to completing; only one caller ever wins. */
    public boolean claimCompletion(String jobId, String completedBy) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return claimCompletion(c, jobId, completedBy);
        }
    }

    private static boolean claimCompletion(Connection c, String jobId, String completedBy) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE tf_jobs SET status = ?, completed_by = ?"
                + " WHERE job_id = ? AND status = ?")) {
            ps.setString(1, JobRow.COMPLETING);
            ps.setString(2, completedBy);
            ps.setString(3, jobId);
            ps.setString(4, JobRow.RUNNING);
            return ps.executeUpdate() == 1;
        }
    }

    /** Records the final status of a completing job. */
    public boolean finish(String jobId, String status, String resultPath, long now) throws SQLException {
        return execute("UPDATE tf_jobs SET status = ?, result_path = ?, finished_at = ? WHERE job_id = ? AND status = ?",
                status, resultPath, now, jobId, JobRow.COMPLETING) == 1;
    }

    /** Claims a key (an inbox file) for an owner; false if someone holds it already. */
    public boolean claim(String key, String owner) throws SQLException {
        return insertIfAbsent("INSERT INTO tf_claims (claim_key, owner, claimed_at) VALUES (?, ?, ?)",
                key, owner, System.currentTimeMillis());
    }

    public boolean isClaimed(String key) throws SQLException {
        return exists("SELECT 1 FROM tf_claims WHERE claim_key = ?", key);
    }

    public boolean release(String key) throws SQLException {
        return execute("DELETE FROM tf_claims WHERE claim_key = ?", key) == 1;
    }

    /** Releases every claim of an owner: a restarted coordinator frees what its previous life held. */
    public int releaseClaimsOf(String owner) throws SQLException {
        return execute("DELETE FROM tf_claims WHERE owner = ?", owner);
    }

    /** Releases claims older than the given age: their holder died without releasing them. */
    public int releaseClaimsOlderThan(long maxAgeMs) throws SQLException {
        return execute("DELETE FROM tf_claims WHERE claimed_at < ?", System.currentTimeMillis() - maxAgeMs);
    }

    /** Streams a job's recorded results in index order without loading them all. */
    public void forEachResult(String jobId, ResultVisitor visitor) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
            try (PreparedStatement ps = c.prepareStatement("SELECT idx, status, result, error FROM tf_results"
                    + " WHERE job_id = ? ORDER BY idx")) {
                ps.setFetchSize(1000);
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        visitor.visit(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4));
                    }
                }
            } finally {
                c.commit();
                c.setAutoCommit(true);
            }
        }
    }

    /** Runs an insert; false, changing nothing, when the row exists already. */
    private boolean insertIfAbsent(String sql, Object... params) throws SQLException {
        try {
            execute(sql, params);
            return true;
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    private int execute(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            return ps.executeUpdate();
        }
    }

    private boolean exists(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }

    private List<JobRow> query(String sql, String param) throws SQLException {
        List<JobRow> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) {
                ps.setString(1, param);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs));
                }
            }
        }
        return rows;
    }

    private static JobRow row(ResultSet rs) throws SQLException {
        return new JobRow(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getInt(5), rs.getString(6),
                rs.getBoolean(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getString(11), rs.getString(12),
                rs.getInt(13));
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
