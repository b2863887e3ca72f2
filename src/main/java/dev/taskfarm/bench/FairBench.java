package dev.taskfarm.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.rabbitmq.client.ConnectionFactory;

/**
 * {@code bench --workload fair}: fair share between jobs on one taskfarm (a coordinator JVM and K
 * worker JVMs), with the big workload's tasks (sha256, R=1, N from {@code --tasks}, default 1,000,000):
 * <ol>
 * <li>(a) 10-task jobs submitted one after another while the big job runs: each one's time from
 * submit to its result file;</li>
 * <li>(b) the big job's throughput alone and with those small jobs beside it;</li>
 * <li>(c) two equal jobs of N/2 tasks started together: each one's share of the tasks done over
 * the time both ran;</li>
 * <li>(d) the same with priorities 2 and 1.</li>
 * </ol>
 * The shares are read from the coordinator's progress every 50 ms (two half jobs of a small
 * {@code --tasks} overlap for about a second); the overlap starts at the first sample where both
 * jobs have results and ends at the last sample before either ends.
 */
final class FairBench {

    private FairBench() {
    }

    static int run(Bench.Options o, Workload wl, ConnectionFactory rabbit, String brokerVersion, Path dir, PrintStream out)
            throws Exception {
        int n = wl.tasks();
        Path big = wl.write(dir, "fair-big", n);
        Path half = wl.write(dir, "fair-half", n / 2);
        Path small = new Workload("tiny", 10, 1).write(dir, "fair-small", 10);
        int warmJob = Math.min(20_000, Math.max(1, o.warmup));
        Path warm = new Workload("tiny", warmJob, 1).write(dir, "warm", warmJob);
        long timeout = Math.max(300, n / 200L);
        int k = o.workers.get(0);
        out.printf("taskfarm bench fair: big job N=%d R=%d, small jobs of 10 tasks, equal jobs of %d | %s at %s:%d | %d cores, "
                + "load average %.2f at start | %s%n", n, wl.rounds(), n / 2, brokerVersion, rabbit.getHost(), rabbit.getPort(),
                Runtime.getRuntime().availableProcessors(), load(), Instant.now());
        String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Path runDir = Files.createDirectories(dir.resolve(prefix));
        out.printf("%d worker process(es) x %d consumer(s); queues %s.*; %d run(s)%n", k, o.consumers, prefix, o.runs);
        List<Double> alone = new ArrayList<>();
        List<Double> beside = new ArrayList<>();
        List<Double> smallMs = new ArrayList<>();
        List<Double> equal = new ArrayList<>();
        List<Double> weighted = new ArrayList<>();
        try (FarmUnderTest farm = FarmUnderTest.start(o, rabbit, prefix, k, runDir)) {
            for (int w = 0; w * warmJob < o.warmup; w++) {
                farm.run("warm-" + w, warm, warmJob, 0, timeout);
            }
            for (int r = 1; r <= o.runs; r++) {
                Bench.RunResult a = farm.run("alone-" + r, big, n, 0, timeout);
                alone.add(a.tasksPerSecond());
                out.printf("  run %d (b) big job alone:            %8.0f tasks/s (%.1f s)%n", r, a.tasksPerSecond(), a.micros() / 1e6);

                String busy = "busy-" + r;
                farm.submit(busy, big, 0, 0);
                while (farm.doneOf(busy) < n / 20) {
                    Thread.sleep(200);
                }
                List<Double> these = new ArrayList<>();
                for (int i = 0; farm.doneOf(busy) < n * 9L / 10; i++) {
                    String id = "small-" + r + "-" + i;
                    farm.submit(id, small, 0, 0);
                    these.add(farm.awaitDone(id, 10, 120).micros() / 1000.0);
                    Thread.sleep(2000);
                }
                Bench.RunResult b = farm.awaitDone(busy, n, timeout);
                beside.add(b.tasksPerSecond());
                smallMs.addAll(these);
                out.printf("  run %d (b) big job beside small jobs: %8.0f tasks/s (%.1f s); (a) %d small jobs: min %.0f median %.0f"
                        + " max %.0f ms%n", r, b.tasksPerSecond(), b.micros() / 1e6, these.size(), Stats.min(these),
                        Stats.median(these), Stats.max(these));

                double eq = share(farm, "eq-a-" + r, 0, "eq-b-" + r, 0, half, n / 2, timeout);
                equal.add(eq);
                double pr = share(farm, "prio2-" + r, 2, "prio1-" + r, 1, half, n / 2, timeout);
                weighted.add(pr);
                out.printf("  run %d (c) two equal jobs: first one's share %.1f%%; (d) priority 2 vs 1: the priority-2 job's "
                        + "share %.1f%%%n", r, eq * 100, pr * 100);
            }
        }
        out.printf("%nfair (%d worker proc x %d consumers, N=%d), load average %.2f at the end:%n", k, o.consumers, n, load());
        out.printf("(a) 10-task job beside the big job, submit to result: min %.0f median %.0f max %.0f ms (%d jobs; goal <= 3000)%n",
                Stats.min(smallMs), Stats.median(smallMs), Stats.max(smallMs), smallMs.size());
        double loss = 1 - Stats.median(beside) / Stats.median(alone);
        out.printf("(b) big job alone min %.0f median %.0f max %.0f tasks/s; beside small jobs min %.0f median %.0f max %.0f:"
                + " loss %.1f%% (goal <= 10%%)%n", Stats.min(alone), Stats.median(alone), Stats.max(alone), Stats.min(beside),
                Stats.median(beside), Stats.max(beside), loss * 100);
        out.printf("(c) two equal jobs, the first one's share over the overlap: min %.1f median %.1f max %.1f %% (goal 50 +- 10)%n",
                Stats.min(equal) * 100, Stats.median(equal) * 100, Stats.max(equal) * 100);
        out.printf("(d) priority 2 vs 1, the priority-2 job's share: min %.1f median %.1f max %.1f %% (weights say 66.7)%n",
                Stats.min(weighted) * 100, Stats.median(weighted) * 100, Stats.max(weighted) * 100);
        return 0;
    }

    /**
     * Submits two jobs of the same file together; the first one's share of the tasks both did while
     * both ran.
     */
    private static double share(FarmUnderTest farm, String a, int pa, String b, int pb, Path file, int tasks, long timeout)
            throws Exception {
        farm.submit(a, file, 0, pa);
        farm.submit(b, file, 0, pb);
        long[] first = null;
        long[] last = null;
        while (true) {
            long[] p = farm.progress(a, b);
            if (farm.ended(a) || farm.ended(b) || p[0] >= tasks || p[1] >= tasks) {
                break;
            }
            if (p[0] > 0 && p[1] > 0) {
                if (first == null) {
                    first = p;
                }
                last = p;
            }
            Thread.sleep(50);
        }
        farm.awaitDone(a, tasks, timeout);
        farm.awaitDone(b, tasks, timeout);
        if (first == null || last == null || last == first) {
            throw new IllegalStateException("jobs " + a + " and " + b + " never ran side by side");
        }
        double da = last[0] - first[0];
        double db = last[1] - first[1];
        return da / Math.max(1, da + db);
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
