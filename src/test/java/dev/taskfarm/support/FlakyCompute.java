package dev.taskfarm.support;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.Sha256Compute;

/**
 * Test compute: fails when the task says {@code "fail": true}, sleeps {@code "sleepMs"} first if
 * asked, otherwise behaves like sha256. Counts its runs per task {@code "group"}, so a test can
 * tell which tasks really ran.
 */
public class FlakyCompute implements Compute {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    /** How many tasks of this group were computed (in this JVM). */
    public static int runs(String group) {
        AtomicInteger n = RUNS.get(group);
        return n == null ? 0 : n.get();
    }

    private final Sha256Compute sha = new Sha256Compute();

    @Override
    public String name() {
        return "flaky";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        if (task.has("group")) {
            RUNS.computeIfAbsent(task.get("group").asText(), g -> new AtomicInteger()).incrementAndGet();
        }
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
