package dev.taskfarm.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * CPU time a run costs, split by who spent it: the taskfarm JVMs (coordinator + workers), this
 * JVM (which runs the raw baseline) and the broker (a local RabbitMQ's beam.smp, read from /proc;
 * absent when the broker is elsewhere). CPU per task is what decides throughput on a small,
 * shared machine, independent of what else runs on it.
 */
final class CpuMeter {

    /** CPU nanoseconds used during one run. */
    record Used(long coordinator, long workers, long bench, long broker) {
        String describe(int tasks) {
            return String.format("CPU us/task: coordinator %.0f, workers %.0f, bench %.0f, broker %s",
                    coordinator / 1000.0 / tasks, workers / 1000.0 / tasks, bench / 1000.0 / tasks,
                    broker < 0 ? "n/a" : String.format("%.0f", broker / 1000.0 / tasks));
        }
    }

    /** A run to measure. */
    interface Run {
        Bench.RunResult run() throws Exception;
    }

    private final FarmUnderTest farm;
    private final Optional<Path> brokerStat;

    CpuMeter(FarmUnderTest farm) {
        this.farm = farm;
        this.brokerStat = ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
                .findFirst().map(p -> Path.of("/proc", String.valueOf(p.pid()), "stat"));
    }

    Bench.RunResult measure(Run run) throws Exception {
        long[] f0 = farm.cpuNanos();
        long b0 = benchNanos();
        long r0 = brokerNanos();
        Bench.RunResult result = run.run();
        long r1 = brokerNanos();
        long b1 = benchNanos();
        long[] f1 = farm.cpuNanos();
        return result.with(new Used(f1[0] - f0[0], f1[1] - f0[1], b1 - b0, r0 < 0 || r1 < 0 ? -1 : r1 - r0));
    }

    static String medianPerTask(List<Bench.RunResult> runs) {
        if (runs.isEmpty() || runs.get(0).cpu() == null) {
            return "";
        }
        int tasks = runs.get(0).tasks();
        double coordinator = Stats.median(runs.stream().map(r -> r.cpu().coordinator() / 1000.0 / tasks).toList());
        double workers = Stats.median(runs.stream().map(r -> r.cpu().workers() / 1000.0 / tasks).toList());
        double bench = Stats.median(runs.stream().map(r -> r.cpu().bench() / 1000.0 / tasks).toList());
        double broker = Stats.median(runs.stream().map(r -> r.cpu().broker() / 1000.0 / tasks).toList());
        return String.format("%6.0f / %6.0f / %6.0f / %s", coordinator, workers, bench,
                broker < 0 ? "   n/a" : String.format("%6.0f", broker));
    }

    private static long benchNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** utime + stime of the broker process, in nanoseconds (clock ticks of 10 ms), or -1. */
    private long brokerNanos() {
        if (brokerStat.isEmpty()) {
            return -1;
        }
        try {
            String stat = Files.readString(brokerStat.get());
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (Exception e) {
            return -1;
        }
    }
}
