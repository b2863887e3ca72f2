package dev.taskfarm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The process's claim on its data directory ({@code taskfarm.data}): an OS file lock on
 * {@code <data>/.lock}, held until the Camel context stops. The ledger (H2), the embedded
 * broker's store (Derby), the spool and the kept inputs all live there, and two processes on one
 * directory would corrupt or block each other; the second one is refused at once, before any of
 * them is opened, with one line that says what to do ({@link StartupFailures}).
 */
final class DataDirectoryLock implements AutoCloseable {

    /** Another process (or farm) holds the directory. */
    static final class InUseException extends IllegalStateException {
        InUseException(Path dir) {
            super("the data directory " + dir + " is in use by another taskfarm: stop that one, or give this one its"
                    + " own directory (run it in another working directory, or set TASKFARM_DATA), or share a"
                    + " PostgreSQL ledger (TASKFARM_LEDGER_URL) and RabbitMQ between several coordinators");
        }
    }

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirectoryLock acquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path real = dir.toRealPath();
        FileChannel channel = FileChannel.open(real.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new InUseException(real);
        }
        return new DataDirectoryLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
