package dev.taskfarm.durable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

/**
 * The jobs cancelled recently, from the ledger, for the {@code announce-cancels} route, which
 * broadcasts each again on the control exchange: a cancel whose broadcast failed (broker
 * unreachable), and workers that were disconnected or started later, still learn about it within
 * one interval. A worker that hears a cancel twice only remembers it longer.
 */
public class CancelAnnouncer {

    /** At most this many cancels per announcement (the newest). */
    static final int MAX = 1000;

    private final DataSource dataSource;
    private final long windowMs;

    public CancelAnnouncer(DataSource dataSource, long windowMs) {
        this.dataSource = dataSource;
        this.windowMs = windowMs;
    }

    /** Ids of jobs cancelled within the window, newest first (also those whose result is still being written). */
    public List<String> recentCancels() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT job_id FROM tf_jobs WHERE (status = 'cancelled' AND finished_at > ?)"
                     + " OR (status = 'completing' AND completed_by = 'cancel') ORDER BY finished_at DESC LIMIT " + MAX)) {
            ps.setLong(1, System.currentTimeMillis() - windowMs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }
}
