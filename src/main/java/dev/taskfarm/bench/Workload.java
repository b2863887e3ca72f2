package dev.taskfarm.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import dev.taskfarm.compute.Sha256Compute;

/**
 * The shared workloads of DESIGN.md section 7: task {@code {"index":i,"seed":"task-<i>","rounds":R}},
 * compute sha256; and {@code mixed}: 99% of the tasks with R rounds, 1% ({@link #LONG_SHARE}) with
 * {@link #LONG_FACTOR} times as many, shuffled (the same shuffle every time).
 *
 * @param name       tiny, cpu, big or mixed
 * @param tasks      N
 * @param rounds     R (for cpu: calibrated so a task takes about 20 ms here; for mixed: the short
 *                   tasks, calibrated to about 0.2 ms)
 * @param longRounds rounds of mixed's long tasks (0: every task has R rounds)
 */
record Workload(String name, int tasks, int rounds, int longRounds) {

    static final int LONG_FACTOR = 100;
    static final double LONG_SHARE = 0.01;

    Workload(String name, int tasks, int rounds) {
        this(name, tasks, rounds, 0);
    }

    static Workload of(String name, Integer tasks, Integer rounds) throws Exception {
        return switch (name) {
            case "tiny" -> new Workload(name, tasks != null ? tasks : 20_000, rounds != null ? rounds : 1);
            case "cpu" -> new Workload(name, tasks != null ? tasks : 400, rounds != null ? rounds : roundsFor(20_000));
            case "big" -> new Workload(name, tasks != null ? tasks : 1_000_000, rounds != null ? rounds : 1);
            case "mixed" -> {
                int r = rounds != null ? rounds : roundsFor(200);
                yield new Workload(name, tasks != null ? tasks : 20_000, r, r * LONG_FACTOR);
            }
            default -> throw new IllegalArgumentException("--workload must be tiny, cpu, big or mixed, got " + name);
        };
    }

    /**
     * SHA-256 rounds that take about {@code micros} microseconds on this machine: the best of many
     * tries, for at least half a second, so the JIT has compiled the loop (with 8 tries the
     * calibration measured interpreted code, and "20 ms" tasks took 9 ms in the warm workers).
     */
    static int roundsFor(long micros) throws Exception {
        int probe = 20_000;
        return (int) Math.max(1, probe * (micros * 1000.0 / bestNanos(probe)));
    }

    /** The best time of many tries (at least half a second) of {@code rounds} SHA-256 rounds, in nanoseconds. */
    static long bestNanos(int rounds) throws Exception {
        long best = Long.MAX_VALUE;
        long until = System.nanoTime() + 500_000_000L;
        for (int i = 0; i < 40 || System.nanoTime() < until; i++) {
            long t0 = System.nanoTime();
            Sha256Compute.digest("calibrate", rounds);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    /** The long tasks among the first {@code count} (mixed), the same ones every time. */
    BitSet longTasks(int count) {
        BitSet longOnes = new BitSet(count);
        if (longRounds > 0) {
            List<Integer> order = new ArrayList<>(IntStream.range(0, count).boxed().toList());
            Collections.shuffle(order, new Random(42));
            order.subList(0, (int) Math.round(count * LONG_SHARE)).forEach(longOnes::set);
        }
        return longOnes;
    }

    /** Writes the job as NDJSON, one task per line. */
    Path write(Path dir, String name, int count) throws IOException {
        Path file = dir.resolve(name + ".ndjson");
        BitSet longOnes = longTasks(count);
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int i = 0; i < count; i++) {
                w.write("{\"index\":" + i + ",\"seed\":\"task-" + i + "\",\"rounds\":" + (longOnes.get(i) ? longRounds : rounds)
                        + "}\n");
            }
        }
        return file;
    }
}
