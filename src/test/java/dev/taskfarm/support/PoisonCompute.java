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
            case "hang" -> Thread.sleep(Long.MAX_VALUE);
            default -> {
                long sleep = task.path("sleepMs").asLong(0);
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
            }
        }
        return sha.compute(task);
    }
}
