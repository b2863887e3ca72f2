package dev.taskfarm.support;

import com.fasterxml.jackson.databind.JsonNode;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.Sha256Compute;

/**
 * Test compute: fails when the task says {@code "fail": true}, sleeps {@code "sleepMs"} first if
 * asked, otherwise behaves like sha256.
 */
public class FlakyCompute implements Compute {

    private final Sha256Compute sha = new Sha256Compute();

    @Override
    public String name() {
        return "flaky";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        long sleep = task.path("sleepMs").asLong(0);
        if (sleep > 0) {
            Thread.sleep(sleep);
        }
        if (task.path("fail").asBoolean(false)) {
            throw new IllegalStateException("task " + task.path("seed").asText() + " was told to fail");
        }
        return sha.compute(task);
    }
}
