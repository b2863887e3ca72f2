package dev.taskfarm.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.taskfarm.compute.Sha256Compute;

/**
 * The shared workloads of DESIGN.md section 7: task {@code {"index":i,"seed":"task-<i>","rounds":R}},
 * compute sha256.
 *
 * @param name   tiny, cpu or big
 * @param tasks  N
 * @param rounds R (for cpu: calibrated so a task takes about 20 ms here)
 */
record Workload(String name, int tasks, int rounds) {

    static Workload of(String name, Integer tasks, Integer rounds) throws Exception {
        return switch (name) {
            case "tiny" -> new Workload(name, tasks != null ? tasks : 20_000, rounds != null ? rounds : 1);
            case "cpu" -> new Workload(name, tasks != null ? tasks : 400, rounds != null ? rounds : roundsFor(20));
            case "big" -> new Workload(name, tasks != null ? tasks : 1_000_000, rounds != null ? rounds : 1);
            default -> throw new IllegalArgumentException("--workload must be tiny, cpu or big, got " + name);
        };
    }

    /**
     * SHA-256 rounds that take about {@code ms} milliseconds on this machine: the best of many
     * tries, for at least half a second, so the JIT has compiled the loop (with 8 tries the
     * calibration measured interpreted code, and "20 ms" tasks took 9 ms in the warm workers).
     */
    static int roundsFor(int ms) throws Exception {
        int probe = 20_000;
        long best = Long.MAX_VALUE;
        long until = System.nanoTime() + 500_000_000L;
        for (int i = 0; i < 40 || System.nanoTime() < until; i++) {
            long t0 = System.nanoTime();
            Sha256Compute.digest("calibrate", probe);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return (int) Math.max(1, probe * (ms * 1_000_000.0 / best));
    }

    /** Writes the job as NDJSON, one task per line. */
    Path write(Path dir, String name, int count) throws IOException {
        Path file = dir.resolve(name + ".ndjson");
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int i = 0; i < count; i++) {
                w.write("{\"index\":" + i + ",\"seed\":\"task-" + i + "\",\"rounds\":" + rounds + "}\n");
            }
        }
        return file;
    }
}
