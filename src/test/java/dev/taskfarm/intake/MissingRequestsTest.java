package dev.taskfarm.intake;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.job.JobFile;

import static org.assertj.core.api.Assertions.assertThat;

/** A re-drive publishes only the tasks without a result, in batches of consecutive indexes. */
class MissingRequestsTest {

    @TempDir
    Path dir;

    @Test
    void onlyTheTasksWithoutAResultArePublishedAgain() throws Exception {
        Path file = dir.resolve("eight.json");
        Files.writeString(file, "[{\"i\":0},{\"i\":1},{\"i\":2},{\"i\":3},{\"i\":4},{\"i\":5},{\"i\":6},{\"i\":7}]");
        BitSet recorded = new BitSet();
        recorded.set(0);
        recorded.set(1);
        recorded.set(5);
        List<String> batches = new ArrayList<>();
        try (var missing = new MissingRequests(JobFile.tasks(file), recorded, "eight", "sha256", 8, 2)) {
            missing.forEachRemaining(b -> batches.add(b.firstIndex() + ":" + b.bodies().size()));
        }
        assertThat(batches).containsExactly("2:2", "4:1", "6:2");
    }
}
