package dev.taskfarm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.SpinCompute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runaway task on the default single process (role all, embedded broker, its own JVM): a
 * CPU-bound compute that ignores interruption overruns its time limit. The task fails with a
 * clear error, the runaway stops using the CPU (its thread is gone from the process tree), and
 * the next job completes. The CPU the process tree uses is read from /proc and printed for
 * docs/DESIGN-NOTES.md (a figure, not an assertion).
 */
class RunawayTaskIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private FarmProcess farm;

    @AfterEach
    void stop() throws Exception {
        if (farm != null) {
            farm.stop();
        }
    }

    @Test
    void aRunawayIsStoppedForGoodAndTheNextJobCompletes() throws Exception {
        farm = new FarmProcess("farm", dir, Map.of("taskfarm.broker", "embedded", "taskfarm.embedded.port", "0",
                "taskfarm.http.port", "0", "taskfarm.routes", Path.of("routes").toAbsolutePath().toString(),
                "taskfarm.task.timeout", "PT2S", "taskfarm.task.kill-after", "PT1S"))
                .start().awaitStarted(Duration.ofSeconds(60));

        submit("runaway.json", "{\"compute\":\"spin\",\"tasks\":[{\"spin\":\"forever\"}]}");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> !spinningThreads().isEmpty());
        JsonNode runaway = awaitResult("runaway");
        long failedAt = System.nanoTime();

        assertThat(runaway.get("status").asText()).isEqualTo("failed");
        assertThat(runaway.at("/results/0/error").asText()).contains("ran longer than the task timeout of 2000 ms");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(spinningThreads()).isEmpty());
        double cores = coresUsed(Duration.ofSeconds(2));
        System.out.printf("RunawayTaskIT: runaway gone %.1f s after its soft limit; process tree then used %.3f cores%n",
                (System.nanoTime() - failedAt) / 1e9, cores);

        submit("next.json", Jobs.shaJob("sha256", 50, 1).toString());
        JsonNode next = awaitResult("next");
        assertThat(next.get("status").asText()).isEqualTo("completed");
        assertThat(next.at("/results/49/result").asText()).isEqualTo(Jobs.expectedSha(49, 1));
    }

    /**
     * With taskfarm.task.isolation=thread nothing can kill the runaway: the process says so on
     * liveness (an orchestrator restarts it) and still serves the next job on its other threads.
     */
    @Test
    void onAThreadARunawayTurnsLivenessDown() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        farm = new FarmProcess("farm", dir, Map.of("taskfarm.broker", "embedded", "taskfarm.embedded.port", "0",
                "taskfarm.http.port", Integer.toString(port), "taskfarm.routes", Path.of("routes").toAbsolutePath().toString(),
                "taskfarm.task.isolation", "thread", "taskfarm.task.timeout", "PT1S", "taskfarm.task.kill-after", "PT1S"))
                .start().awaitStarted(Duration.ofSeconds(60));
        Http http = new Http(java.net.URI.create("http://127.0.0.1:" + port));
        assertThat(http.get("/observe/health/live").statusCode()).isEqualTo(200);

        submit("runaway.json", "{\"compute\":\"spin\",\"tasks\":[{\"spin\":\"forever\"}]}");

        assertThat(awaitResult("runaway").at("/results/0/error").asText()).contains("ran longer than the task timeout");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> http.get("/observe/health/live").statusCode() == 503);
        assertThat(http.get("/observe/health/live").body()).contains("taskfarm-runaways")
                .contains("still run tasks past their hard time limit");
        assertThat(farm.countInLog("ignores interruption, and a thread cannot be killed")).isEqualTo(1);
        submit("next.json", Jobs.shaJob("sha256", 5, 1).toString());
        assertThat(awaitResult("next").get("status").asText()).isEqualTo("completed");
    }

    private void submit(String name, String content) throws IOException {
        Path inbox = dir.resolve("inbox");
        Files.createDirectories(inbox);
        Path tmp = inbox.resolve("." + name + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, inbox.resolve(name));
    }

    private JsonNode awaitResult(String jobId) throws IOException {
        Path result = dir.resolve("outbox").resolve(jobId + ".result.json");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        return MAPPER.readTree(result.toFile());
    }

    private List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(farm.handle());
        farm.handle().descendants().forEach(all::add);
        return all;
    }

    /** Threads named like the spinning compute in the farm's process tree, as "pid/tid". */
    private List<String> spinningThreads() throws IOException {
        List<String> found = new ArrayList<>();
        for (ProcessHandle p : tree()) {
            Path tasks = Path.of("/proc", Long.toString(p.pid()), "task");
            try (Stream<Path> threads = Files.list(tasks)) {
                for (Path t : threads.toList()) {
                    try {
                        if (Files.readString(t.resolve("comm")).strip().equals(SpinCompute.THREAD_NAME)) {
                            found.add(p.pid() + "/" + t.getFileName());
                        }
                    } catch (IOException gone) {
                        // the thread ended while we looked
                    }
                }
            } catch (IOException gone) {
                // the process ended while we looked
            }
        }
        return found;
    }

    /** CPU seconds per second of the farm's process tree over this window (from /proc/<pid>/stat). */
    private double coresUsed(Duration window) throws Exception {
        long before = cpuTicks();
        long start = System.nanoTime();
        await().pollDelay(window).atMost(window.multipliedBy(2)).until(() -> true);
        return (cpuTicks() - before) / 100.0 / ((System.nanoTime() - start) / 1e9);
    }

    private long cpuTicks() {
        long ticks = 0;
        for (ProcessHandle p : tree()) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException gone) {
                // ended
            }
        }
        return ticks;
    }
}
