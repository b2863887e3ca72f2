package dev.taskfarm.support;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.taskfarm.compute.BadTaskException;

/**
 * Test compute ("flaky"): the poison compute's task shapes plus {@code "fail": true} (throws an
 * error worth retrying), {@code "bad": true} (throws an {@link IllegalArgumentException}, which
 * retrying cannot fix), {@code "badTask": true} (throws a {@link BadTaskException}) and a run counter per task {@code "group"}, so a test can tell which tasks
 * really ran, and how often.
 */
public class FlakyCompute extends PoisonCompute {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    /** How many tasks of this group were computed (in this JVM). */
    public static int runs(String group) {
        AtomicInteger n = RUNS.get(group);
        return n == null ? 0 : n.get();
    }

    @Override
    public String name() {
        return "flaky";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        if (task.has("group")) {
            RUNS.computeIfAbsent(task.get("group").asText(), g -> new AtomicInteger()).incrementAndGet();
        }
        if (task.path("badTask").asBoolean(false)) {
            throw new BadTaskException("task " + task.path("seed").asText() + " can never succeed");
        }
        if (task.path("bad").asBoolean(false)) {
            throw new IllegalArgumentException("task " + task.path("seed").asText() + " is bad");
        }
        if (task.path("fail").asBoolean(false)) {
            throw new IllegalStateException("task " + task.path("seed").asText() + " was told to fail");
        }
        return super.compute(task);
    }
}
