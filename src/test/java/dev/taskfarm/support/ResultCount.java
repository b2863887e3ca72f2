package dev.taskfarm.support;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a chaos test counts in a sha256 job's result file: attempted tasks, results recorded, ok
 * results that are right, lost (no right ok result) and duplicated (an index listed twice).
 */
public record ResultCount(String status, int attempted, int recorded, int right, int lost, int duplicated) {

    public static ResultCount of(Path resultFile, int attempted, int rounds) throws Exception {
        JsonNode r = new ObjectMapper().readTree(resultFile.toFile());
        Set<Integer> indexes = new HashSet<>();
        int right = 0;
        for (JsonNode e : r.get("results")) {
            int i = e.get("index").asInt();
            indexes.add(i);
            if ("ok".equals(e.get("status").asText()) && Jobs.expectedSha(i, rounds).equals(e.get("result").asText())) {
                right++;
            }
        }
        int entries = r.get("results").size();
        return new ResultCount(r.get("status").asText(), attempted, entries, right, attempted - right,
                entries - indexes.size());
    }

    @Override
    public String toString() {
        return "status=" + status + " attempted=" + attempted + " recorded=" + recorded + " right=" + right + " lost=" + lost
                + " duplicated=" + duplicated;
    }
}
