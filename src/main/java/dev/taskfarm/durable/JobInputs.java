package dev.taskfarm.durable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each running job's input (the inbox file or the spooled REST body) until the job ends, so
 * the re-drive can publish its missing tasks again. An input is kept as
 * {@code <dir>/<jobId>.<sha256>.input}: a hard link to the submitted file where the file system
 * allows it (no copy, and the inbox file can still move to .done), else a copy. The digest in the
 * name ties the input to the job's ledger row, so a different file submitted under the same id
 * never replaces it. Several coordinators that take over each other's jobs share this directory.
 */
public class JobInputs {

    private static final Logger LOG = LoggerFactory.getLogger(JobInputs.class);
    private static final String SUFFIX = ".input";

    private final Path dir;

    public JobInputs(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir.toAbsolutePath());
    }

    public Path dir() {
        return dir;
    }

    /** SHA-256 of a file, hex. */
    public static String digest(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keeps {@code file} as the input of job {@code jobId} with this digest. */
    public Path keep(String jobId, String digest, Path file) throws IOException {
        Path target = path(jobId, digest);
        if (Files.exists(target)) {
            return target;
        }
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createLink(tmp, file);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    public Path path(String jobId, String digest) {
        return dir.resolve(jobId + "." + digest + SUFFIX);
    }

    public boolean has(String jobId, String digest) {
        return digest != null && Files.isRegularFile(path(jobId, digest));
    }

    /** Deletes every kept input of a job (it ended). */
    public void delete(String jobId) {
        try (var files = Files.list(dir)) {
            files.filter(f -> jobIdOf(f).equals(jobId)).forEach(JobInputs::deleteQuietly);
        } catch (IOException e) {
            LOG.warn("Cannot delete the kept input of job {}: {}", jobId, e.getMessage());
        }
    }

    /** When a job's input was kept last (epoch millis), 0 if it has none. */
    public long lastModified(String jobId) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> jobIdOf(f).equals(jobId)).mapToLong(f -> f.toFile().lastModified()).max().orElse(0);
        }
    }

    /** The job ids that have a kept input. */
    public java.util.Set<String> jobIds() throws IOException {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        try (var files = Files.list(dir)) {
            files.map(JobInputs::jobIdOf).filter(id -> !id.isEmpty()).forEach(ids::add);
        }
        return ids;
    }

    /** {@code <jobId>.<64 hex>.input} -> jobId; "" for anything else. */
    static String jobIdOf(Path file) {
        String name = file.getFileName().toString();
        int digestStart = name.length() - SUFFIX.length() - 65;
        if (!name.endsWith(SUFFIX) || digestStart < 1 || name.charAt(digestStart) != '.' || name.startsWith(".")) {
            return "";
        }
        return name.substring(0, digestStart);
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("Cannot delete {}: {}", f, e.getMessage());
        }
    }
}
