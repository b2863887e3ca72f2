package dev.taskfarm.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Job ids become file names in the outbox and AMQP header values, so they are restricted to
 * {@code [A-Za-z0-9._-]}, at most 100 characters, never starting with a dot: no path traversal,
 * no hidden files, no clash with another job's result file.
 */
public final class JobIds {

    public static final int MAX_LENGTH = 100;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}");
    private static final Pattern EXTENSION = Pattern.compile("\\.(json|ndjson|jsonl)$", Pattern.CASE_INSENSITIVE);

    private JobIds() {
    }

    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches();
    }

    /** A fresh id for jobs that do not name one. */
    public static String generate() {
        return "job-" + UUID.randomUUID();
    }

    /**
     * The job id for a file: its name without the extension when that is a valid id; otherwise
     * the safe characters of the name plus a short hash of the full name, so two different
     * unsafe names never map to the same id.
     */
    public static String fromFileName(String fileName) {
        String base = EXTENSION.matcher(fileName).replaceFirst("");
        if (isValid(base)) {
            return base;
        }
        String safe = base.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[.-]+", "");
        if (safe.length() > MAX_LENGTH - 9) {
            safe = safe.substring(0, MAX_LENGTH - 9);
        }
        return (safe.isEmpty() ? "job" : safe) + "-" + shortHash(fileName);
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
