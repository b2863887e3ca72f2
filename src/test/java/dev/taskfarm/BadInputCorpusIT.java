package dev.taskfarm;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.job.JobIds;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every file of the malformed-input corpus ({@code src/test/resources/bad-inputs}, outcomes in
 * expected.tsv), plus a few made at run time (binary, 50 MB, a file still being written), either
 * ends in inbox/.error/ with the expected reason or runs as a job; the farm keeps running.
 */
class BadInputCorpusIT {

    static final Path CORPUS = Path.of("src/test/resources/bad-inputs");
    static TestFarm farm;

    @BeforeAll
    static void start() throws Exception {
        farm = TestFarm.onTestBroker().start();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    @Test
    void everyFileIsRejectedWithAReasonOrRunsAsAJob() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(CORPUS.resolve("expected.tsv"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] parts = line.split("\t", 2);
                expected.put(parts[0], parts[1]);
            }
        }
        byte[] binary = new byte[4096];
        new Random(42).nextBytes(binary);
        binary[0] = (byte) 0x89; // not a JSON start whatever the seed gives
        Path staging = farm.dir().resolve("staging");
        Files.createDirectories(staging);
        Files.write(staging.resolve("binary.json"), binary);
        expected.put("binary.json", "error: ");
        writeHugeTruncatedArray(staging.resolve("huge-50mb.json"));
        expected.put("huge-50mb.json", "error: not valid JSON");

        for (String name : expected.keySet()) {
            Path source = Files.exists(staging.resolve(name)) ? staging.resolve(name) : CORPUS.resolve(name);
            Path tmp = farm.inbox().resolve("." + name + ".tmp");
            Files.copy(source, tmp);
            Files.move(tmp, farm.inbox().resolve(name));
        }

        int rejected = 0;
        int ran = 0;
        for (var e : expected.entrySet()) {
            String name = e.getKey();
            if (e.getValue().startsWith("error:")) {
                Path reason = farm.inbox().resolve(".error/" + name + ".error.txt");
                // the reason is written first, the file is moved when its exchange completes: wait for both
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> Files.exists(reason) && Files.exists(farm.inbox().resolve(".error/" + name)));
                assertThat(Files.readString(reason)).as(name).contains(e.getValue().substring("error:".length()).trim());
                assertThat(farm.inbox().resolve(".error/" + name)).as("the file itself is kept").exists();
                rejected++;
            } else {
                var result = farm.awaitResult(JobIds.fromFileName(name), Duration.ofSeconds(60));
                assertThat(result.get("status").asText()).as(name).isIn("completed", "partial");
                // the intake ends once the job is handed to the dispatch: the file's move is not ordered with the job's end
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(farm.inbox().resolve(".done/" + name)));
                ran++;
            }
        }
        try (var left = Files.list(farm.inbox())) {
            assertThat(left.filter(p -> !Files.isDirectory(p)).toList()).as("nothing left behind in the inbox").isEmpty();
        }
        System.out.printf("bad-input corpus: %d files, %d rejected with a reason, %d ran as jobs%n",
                expected.size(), rejected, ran);
        assertThat(rejected + ran).isEqualTo(expected.size());

        // and the farm still works
        farm.submit("after-corpus.json", "[{\"seed\":\"task-0\"}]");
        assertThat(farm.awaitResult("after-corpus", Duration.ofSeconds(30)).at("/results/0/result").asText())
                .isEqualTo("600153c1dc756d80f14729c67d3c13afe4ad2959ef68b255a547d384f92e787f");
    }

    @Test
    void aFileStillBeingWrittenWaitsUntilItIsComplete() throws Exception {
        Path file = farm.inbox().resolve("growing.json");
        int total;
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("[{\"seed\":\"task-0\"},".getBytes(StandardCharsets.UTF_8));
            out.flush();
            // while the file keeps growing (a line every 50 ms, well inside the read lock's 500 ms
            // minimum age) it must stay in the inbox, until the inbox consumer has finished a poll
            // that saw it growing: waits on the poll counter, not on time
            var inboxConsumer = (org.apache.camel.support.ScheduledPollConsumer) farm.context().getRoute("intake-file")
                    .getConsumer();
            long polls = inboxConsumer.getSuccessCounter() + inboxConsumer.getErrorCounter();
            int[] lines = {1};
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
                assertThat(file).as("a growing file is never picked").exists();
                out.write(("{\"seed\":\"task-" + lines[0]++ + "\"},").getBytes(StandardCharsets.UTF_8));
                out.flush();
                return inboxConsumer.getSuccessCounter() + inboxConsumer.getErrorCounter() >= polls + 2;
            });
            total = lines[0] + 1;
            out.write(("{\"seed\":\"task-" + lines[0] + "\"}]").getBytes(StandardCharsets.UTF_8));
        }
        var result = farm.awaitResult("growing", Duration.ofSeconds(30));
        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("total").asInt()).isEqualTo(total);
    }

    /** 50 MB of valid tasks with the closing bracket missing: validated in full, nothing published. */
    private static void writeHugeTruncatedArray(Path path) throws Exception {
        byte[] task = "{\"seed\":\"task-000000000\",\"rounds\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\n"
                .getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            out.write('[');
            long written = 1;
            while (written < 50L * 1024 * 1024) {
                out.write(task);
                written += task.length;
            }
            out.write("{\"seed\":\"last\"}".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(Files.size(path)).isGreaterThan(50L * 1024 * 1024);
    }
}
