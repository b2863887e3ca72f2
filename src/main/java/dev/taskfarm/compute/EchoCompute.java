package dev.taskfarm.compute;

import com.fasterxml.jackson.databind.JsonNode;

/** Returns the task unchanged: handy to test the plumbing. */
public class EchoCompute implements Compute {

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public JsonNode compute(JsonNode task) {
        return task;
    }

    /** It returns at once: nothing to interrupt. */
    @Override
    public boolean honoursInterrupt() {
        return true;
    }
}
