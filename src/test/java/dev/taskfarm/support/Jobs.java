package dev.taskfarm.support;

import java.util.HexFormat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;


/** Job inputs of the shared workload (DESIGN.md section 7) for tests. */
public final class Jobs {

    private Jobs() {
    }

    /** {"compute": compute, "tasks": [{"index": i, "seed": "task-i", "rounds": rounds}...]} */
    public static ObjectNode shaJob(String compute, int count, int rounds) {
        ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("compute", compute);
        ArrayNode tasks = job.putArray("tasks");
        for (int i = 0; i < count; i++) {
            tasks.addObject().put("index", i).put("seed", "task-" + i).put("rounds", rounds);
        }
        return job;
    }

    /** The expected sha256 result of task i, computed independently of the farm. */
    public static String expectedSha(int i, int rounds) throws Exception {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        byte[] d = ("task-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int r = 0; r < rounds; r++) {
            d = sha.digest(d);
        }
        return HexFormat.of().formatHex(d);
    }

    /** A completed sha256 result file: every index once, in order, each with its independently computed digest. */
    public static void assertCompleteWithEveryIndexOnce(com.fasterxml.jackson.databind.JsonNode result, int tasks, int rounds)
            throws Exception {
        org.assertj.core.api.Assertions.assertThat(result.get("status").asText()).isEqualTo("completed");
        org.assertj.core.api.Assertions.assertThat(result.get("results")).hasSize(tasks);
        for (int i = 0; i < tasks; i++) {
            org.assertj.core.api.Assertions.assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            org.assertj.core.api.Assertions.assertThat(result.at("/results/" + i + "/result").asText())
                    .isEqualTo(expectedSha(i, rounds));
        }
    }
}
