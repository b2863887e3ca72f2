package dev.taskfarm.support;

import com.fasterxml.jackson.databind.JsonNode;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.Sha256Compute;

/**
 * Test compute ("poison") with the three kinds of poison task: {@code "poison": "throw"} always throws,
 * {@code "halt"} kills the worker JVM on the spot, {@code "hang"} never returns. Any other task is
 * sha256, after {@code "sleepMs"} if given.
 */
public class PoisonCompute implements Compute {

    private final Sha256Compute sha = new Sha256Compute();

    @Override
    public String name() {
        return "poison";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        switch (task.path("poison").asText("")) {
            case "throw" -> throw new IllegalStateException("task " + task.path("seed").asText() + " was told to throw");
            case "halt" -> Runtime.getRuntime().halt(137);
            case "hang" -> takeTime(Long.MAX_VALUE);
            default -> takeTime(task.path("sleepMs").asLong(0));
        }
        return sha.compute(task);
    }

    /** Never released: a task "runs" by blocking on it for its running time. */
    private static final java.util.concurrent.CountDownLatch NEVER = new java.util.concurrent.CountDownLatch(1);

    /**
     * The task's own running time: a simulated workload that holds its compute thread, without
     * burning the CPU the other processes of a test need, and that the worker's task timeout can
     * interrupt. Nothing in a test waits on it.
     */
    private static void takeTime(long ms) throws InterruptedException {
        if (ms > 0) {
            NEVER.await(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Its simulated work blocks interruptibly; the worker runs it on a thread (a "halt" still stops the whole worker JVM). */
    @Override
    public boolean honoursInterrupt() {
        return true;
    }
}
