package dev.taskfarm.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Counts the primes in {@code [from, to)} with a segmented sieve; returns the count and the
 * largest prime found. A demo of a CPU-bound task whose size the user controls.
 */
public class PrimesCompute implements Compute {

    static final long MAX_RANGE = 100_000_000L;

    @Override
    public String name() {
        return "primes";
    }

    @Override
    public JsonNode compute(JsonNode task) throws InterruptedException {
        validate(task);
        long from = Math.max(2, task.path("from").asLong(2));
        long to = task.get("to").asLong();
        long count = 0;
        long largest = -1;
        if (to > from) {
            boolean[] composite = new boolean[(int) (to - from)];
            for (long p = 2; p * p < to; p++) {
                stopIfInterrupted();
                long start = Math.max(p * p, ((from + p - 1) / p) * p);
                for (long m = start; m < to; m += p) {
                    composite[(int) (m - from)] = true;
                }
            }
            for (int i = 0; i < composite.length; i++) {
                if ((i & 0xFFFFF) == 0) {
                    stopIfInterrupted();
                }
                if (!composite[i]) {
                    count++;
                    largest = from + i;
                }
            }
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        result.put("count", count);
        if (largest > 0) {
            result.put("largest", largest);
        }
        return result;
    }

    /** {@code to} a whole number >= 0, {@code from} (default 2) a whole number, at most MAX_RANGE numbers apart. */
    @Override
    public void validate(JsonNode task) {
        JsonNode to = task.get("to");
        if (to == null || !to.isIntegralNumber() || !to.canConvertToLong() || to.longValue() < 0) {
            throw new IllegalArgumentException("primes needs a whole number field 'to' >= 0, got " + to);
        }
        JsonNode from = task.get("from");
        if (from != null && (!from.isIntegralNumber() || !from.canConvertToLong())) {
            throw new IllegalArgumentException("primes 'from' must be a whole number, got " + from);
        }
        long start = Math.max(2, from == null ? 2 : from.longValue());
        if (to.longValue() - start > MAX_RANGE) {
            throw new IllegalArgumentException("primes range is limited to " + MAX_RANGE + " numbers per task");
        }
    }

    private static void stopIfInterrupted() throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("primes stopped");
        }
    }

    @Override
    public boolean honoursInterrupt() {
        return true;
    }
}
