package dev.taskfarm.support;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * Test compute ("gate"): a long task whose end the test decides. Task
 * {@code {"dir": "/some/dir", "name": "a"}}: creates {@code dir/a.started}, then waits until
 * {@code dir/release} exists (it honours interruption: it sleeps in small steps), and returns
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
        while (!Files.exists(dir.resolve("release"))) {
            Thread.sleep(20);
        }
        return TextNode.valueOf("released");
    }
}
