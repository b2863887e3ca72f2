package dev.taskfarm.compute;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The shared benchmark workload: SHA-256 applied {@code rounds} times, starting from the UTF-8
 * bytes of {@code seed}; each further round hashes the previous 32-byte digest. Result: lowercase
 * hex of the final digest.
 */
public class Sha256Compute implements Compute {

    @Override
    public String name() {
        return "sha256";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        validate(task);
        return TextNode.valueOf(HexFormat.of().formatHex(digest(task.get("seed").asText(), rounds(task))));
    }

    /** {@code seed} a string, {@code rounds} (default 1) a whole number from 1 to 2^31-1, never truncated. */
    @Override
    public void validate(JsonNode task) {
        JsonNode seed = task.get("seed");
        if (seed == null || !seed.isTextual()) {
            throw new IllegalArgumentException("sha256 needs a text field 'seed'");
        }
        rounds(task);
    }

    private static int rounds(JsonNode task) {
        JsonNode rounds = task.get("rounds");
        if (rounds == null) {
            return 1;
        }
        if (!rounds.isIntegralNumber() || !rounds.canConvertToInt() || rounds.intValue() < 1) {
            throw new IllegalArgumentException("sha256 'rounds' must be a whole number from 1 to " + Integer.MAX_VALUE
                    + ", got " + rounds);
        }
        return rounds.intValue();
    }

    public static byte[] digest(String seed, int rounds) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] digest = sha.digest(seed.getBytes(StandardCharsets.UTF_8));
        for (int i = 1; i < rounds; i++) {
            digest = sha.digest(digest);
            if ((i & INTERRUPT_CHECK) == 0 && Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("sha256 stopped after " + i + " of " + rounds + " rounds");
            }
        }
        return digest;
    }

    /** Interruption is checked every 1024 rounds (a few microseconds of work, nothing per round). */
    private static final int INTERRUPT_CHECK = 0x3FF;

    @Override
    public boolean honoursInterrupt() {
        return true;
    }
}
