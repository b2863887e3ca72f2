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
        long from = Math.max(2, task.path("from").asLong(2));
        long to = task.path("to").asLong(-1);
        if (to < 0) {
            throw new IllegalArgumentException("primes needs a number field 'to'");
        }
        if (to - from > MAX_RANGE) {
            throw new IllegalArgumentException("primes range is limited to " + MAX_RANGE + " numbers per task");
        }
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
