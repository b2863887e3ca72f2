package dev.taskfarm;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.broker.BrokerSetupException;

/**
 * Failures at start-up that have a known cause and remedy: said in one line (the stack trace
 * only at DEBUG), and the process exits non-zero instead of hanging on the threads that had
 * already started.
 */
final class StartupFailures {

    private static final Logger LOG = LoggerFactory.getLogger(StartupFailures.class);
    /** H2: DATABASE_ALREADY_OPEN_1, the file lock of another process. */
    static final int H2_DATABASE_IN_USE = 90020;

    private StartupFailures() {
    }

    /**
     * Says what went wrong and ends the JVM: status 2 for a broker setting that cannot work (a
     * malformed URL, a refused login), 1 for anything else.
     */
    static void exit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BrokerSetupException broker) {
                LOG.error("taskfarm cannot start: {}", broker.getMessage());
                LOG.debug("Start-up failed", e);
                System.exit(2);
            }
        }
        Optional<String> known = explain(e);
        if (known.isPresent()) {
            System.err.println("taskfarm: " + known.get());
            LOG.debug("Start-up failed", e);
        } else {
            LOG.error("taskfarm could not start", e);
        }
        System.exit(1);
    }

    /** The one-line explanation of a known start-up failure. */
    static Optional<String> explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataDirectoryLock.InUseException inUse) {
                return Optional.of(inUse.getMessage());
            }
            if (t instanceof SQLException sql && sql.getErrorCode() == H2_DATABASE_IN_USE) {
                return Optional.of(dataDirectoryInUse(sql.getMessage()));
            }
            if (t instanceof java.nio.file.NoSuchFileException missing && isRoutesDirectory(missing.getFile())) {
                return Optional.of(routesMissing(missing.getFile()));
            }
        }
        return Optional.empty();
    }

    /** A role's routes directory ({@code <taskfarm.routes>/coordinator} or {@code /worker}, see TaskfarmApp). */
    private static boolean isRoutesDirectory(String file) {
        if (file == null) {
            return false;
        }
        Path name = Path.of(file).getFileName();
        return name != null && (name.toString().equals(TaskfarmApp.COORDINATOR_ROUTES)
                || name.toString().equals(TaskfarmApp.WORKER_ROUTES));
    }

    private static String routesMissing(String dir) {
        return "no routes in " + Path.of(dir).toAbsolutePath() + ": taskfarm reads its YAML routes from the file system,"
                + " relative to the working directory; run it from the project's directory (the one with routes/),"
                + " or point taskfarm.routes (TASKFARM_ROUTES) at a copy of routes/";
    }

    private static String dataDirectoryInUse(String h2Message) {
        // H2: Database may be already in use: "/path/data/ledger.mv.db". Possible solutions: ...
        int start = h2Message.indexOf('"');
        int end = h2Message.indexOf('"', start + 1);
        String where = "its data directory";
        if (start >= 0 && end > start) {
            Path file = Path.of(h2Message.substring(start + 1, end));
            where = "the data directory " + (file.getParent() == null ? file : file.getParent());
        }
        return where + " is in use by another taskfarm (its H2 ledger is locked): stop that one, or give this one"
                + " its own directory (run it in another working directory, or set TASKFARM_DATA), or share a"
                + " PostgreSQL ledger (TASKFARM_LEDGER_URL)";
    }
}
