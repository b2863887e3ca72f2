package dev.taskfarm.support;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * Test compute ("gate"): a long task whose end the test decides. Task
 * {@code {"dir": "/some/dir", "name": "a"}}: creates {@code dir/a.started}, then waits until
 * {@code dir/release} exists (it honours interruption), and returns
 * {@code "released"}.
 */
public class GateCompute implements dev.taskfarm.compute.Compute {

    @Override
    public String name() {
        return "gate";
    }

    @Override
    public boolean honoursInterrupt() {
        return true;
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        Path dir = Path.of(task.get("dir").asText());
        Files.writeString(dir.resolve(task.get("name").asText() + ".started"), "");
        // waits for the file the test writes (an interrupt ends the wait, as the compute promises)
        org.awaitility.Awaitility.await().forever().pollInterval(java.time.Duration.ofMillis(20))
                .until(() -> Files.exists(dir.resolve("release")));
        return TextNode.valueOf("released");
    }
}
