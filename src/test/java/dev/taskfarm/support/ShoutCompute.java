package dev.taskfarm.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.taskfarm.compute.Compute;

/** Test compute NOT listed in META-INF/services: only a YAML bean declaration makes it known. */
public class ShoutCompute implements Compute {

    @Override
    public String name() {
        return "shout";
    }

    @Override
    public JsonNode compute(JsonNode task) {
        return TextNode.valueOf(task.path("word").asText().toUpperCase() + "!");
    }

    /** It returns at once. */
    @Override
    public boolean honoursInterrupt() {
        return true;
    }
}
