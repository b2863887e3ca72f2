package dev.taskfarm.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * {@code java -jar target/taskfarm.jar bench --workload tiny|cpu|big|mixed [options]}: runs the
 * same job on the same broker, in the same invocation, through two amqp-client baselines
 * ({@link RawBaseline}: the raw durable one and the seed's shape) and through taskfarm's full path
 * (intake, requests, workers, replies, Aggregator, result file; {@link FarmUnderTest}) with its
 * default settings, chunking forced off, or a chunk size given by hand, alternating them run by
 * run, and prints median tasks/s with min and max, the ratios taskfarm / each baseline, task
 * round-trip p50/p99, the single-task job round trip, the coordinator's peak heap, and for
 * {@code mixed} the makespan against the ideal. See docs/BENCHMARKS.md.
 */
public final class Bench {

    /**
     * One run: tasks, microseconds from submit to result file, task round trip p50/p99 in
     * microseconds, and the CPU time the run cost (filled in by {@link CpuMeter}).
     */
    record RunResult(int tasks, long micros, long p50Micros, long p99Micros, CpuMeter.Used cpu) {
        RunResult(int tasks, long micros, long p50Micros, long p99Micros) {
            this(tasks, micros, p50Micros, p99Micros, null);
        }

        double tasksPerSecond() {
            return tasks * 1_000_000.0 / Math.max(1, micros);
        }

        RunResult with(CpuMeter.Used used) {
            return new RunResult(tasks, micros, p50Micros, p99Micros, used);
        }
    }

    /** Command-line options. */
    static final class Options {
        String workload;
        List<Integer> workers;
        String broker = System.getenv().getOrDefault("RABBITMQ_URL", "amqp://127.0.0.1:5672");
        Integer runs;
        Integer tasks;
        Integer rounds;
        Integer consumers;
        Integer prefetch;
        Integer warmup;
        Integer chunk;
        List<String> variants;
        Integer latencyJobs;
        int latencyWarmup = 200;
        String coordinatorHeap = "256m";
        Path routes = Path.of("routes");
        Path profile;
        Map<String, String> extra = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--workload" -> o.workload = v;
                    case "--workers" -> o.workers = java.util.Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
                    case "--broker" -> o.broker = v;
                    case "--runs" -> o.runs = Integer.valueOf(v);
                    case "--tasks" -> o.tasks = Integer.valueOf(v);
                    case "--rounds" -> o.rounds = Integer.valueOf(v);
                    case "--consumers" -> o.consumers = Integer.valueOf(v);
                    case "--lookahead", "--prefetch" -> o.prefetch = Integer.valueOf(v);
                    case "--warmup" -> o.warmup = Integer.valueOf(v);
                    case "--chunk" -> o.chunk = Integer.valueOf(v);
                    case "--latency-jobs" -> o.latencyJobs = Integer.valueOf(v);
                    case "--latency-warmup" -> o.latencyWarmup = Integer.parseInt(v);
                    case "--variants" -> o.variants = List.of(v.split(","));
                    case "--coordinator-heap" -> o.coordinatorHeap = v;
                    case "--routes" -> o.routes = Path.of(v);
                    case "--profile" -> o.profile = Path.of(v).toAbsolutePath();
                    case "--set" -> {
                        int eq = v.indexOf('=');
                        o.extra.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
                i++;
            }
            if (o.workload == null) {
                throw new IllegalArgumentException("--workload tiny|cpu|big|mixed|fair is required");
            }
            if (!List.of("tiny", "cpu", "big", "mixed", "fair").contains(o.workload)) {
                throw new IllegalArgumentException("--workload must be tiny, cpu, big, mixed or fair, got " + o.workload);
            }
            // mixed runs like cpu: one consumer per worker process (a slot is a core's worth)
            boolean cpu = "cpu".equals(o.workload) || "mixed".equals(o.workload);
            boolean big = "big".equals(o.workload) || "fair".equals(o.workload);
            if (o.workers == null) {
                o.workers = cpu ? List.of(1, 2) : List.of(1);
            }
            if (o.runs == null) {
                o.runs = big ? 1 : 3;
            }
            if (o.consumers == null) {
                o.consumers = cpu ? 1 : 8;
            }
            if (o.chunk == null) {
                o.chunk = 0;
            }
            if (o.variants == null) {
                List<String> v = new ArrayList<>(List.of("raw", "seed", "taskfarm"));
                if ("tiny".equals(o.workload)) {
                    v.add("off");
                }
                if (o.chunk > 1) {
                    v.add("chunked");
                }
                o.variants = v;
            }
            if (!List.of("raw", "seed", "taskfarm", "off", "chunked").containsAll(o.variants) || !o.variants.contains("raw")) {
                throw new IllegalArgumentException("--variants is a list of raw (required), seed, taskfarm, off, chunked; got "
                        + o.variants);
            }
            if (o.variants.contains("chunked") && o.chunk < 2) {
                throw new IllegalArgumentException("--variants chunked needs --chunk S (2 or more tasks per message)");
            }
            if (o.latencyJobs == null) {
                o.latencyJobs = big ? 0 : 30;
            }
            // no --lookahead: taskfarm's own default (taskfarm.worker.lookahead), for every workload;
            // issue 15's targets are for default settings (cpu and mixed used 2 until round 3: mixed
            // 1.18x the ideal with 2, 1.04x with the default 8)
            if (o.warmup == null) {
                o.warmup = "tiny".equals(o.workload) ? 100_000 : 20_000;
            }
            return o;
        }
    }

    static final String USAGE = """
            usage: java -jar target/taskfarm.jar bench --workload tiny|cpu|big|mixed|fair [options]
              fair: fair share between jobs (big job's tasks, N default 1000000, --tasks scales it): 10-task
                                    jobs beside the big job (their time), the big job's throughput alone and
                                    beside them, two equal jobs of N/2 (their shares), priority 2 vs 1
              --workers K[,K2]      taskfarm worker processes (cpu default 1,2: scaling), else 1
              --consumers C         compute slots per worker process; the raw baseline gets K x C worker threads,
                                    the seed shape K consumers (default 8; cpu and mixed 1, so a worker
                                    process is one core's worth)
              --lookahead L         taskfarm.worker.lookahead of the worker processes (default taskfarm's own);
                                    --prefetch is the same option
              --warmup N            tiny tasks through each path before measuring, in jobs of at most 20000
                                    (default tiny 100000, else 20000): until the JIT has compiled the hot path
              --chunk S             also run taskfarm with S tasks per message set by hand (variant chunked)
              --broker URL          amqp://host:5672/vhost (default $RABBITMQ_URL or amqp://127.0.0.1:5672;
                                    credentials from the URL's user info, else RABBITMQ_USERNAME/RABBITMQ_PASSWORD,
                                    else the client library's default, RabbitMQ's local-only default account)
              --runs N              runs of each variant, alternated (default 3; big 1)
              --variants LIST       raw (the raw durable baseline, always run), seed (the seed's shape: Qos 1,
                                    transient, no confirms, one consumer per worker process), taskfarm (default
                                    settings: chunk size auto), off (taskfarm with chunking forced off,
                                    chunk size 1), chunked (taskfarm with --chunk S); default raw,seed,taskfarm,
                                    plus off for tiny and chunked when --chunk is given
              --tasks N / --rounds R  override the workload's N and R (cpu R is calibrated to ~20 ms; mixed:
                                    20000 tasks, R calibrated to ~0.2 ms, 1% of them with 100 x R, shuffled)
              --latency-jobs M      single-task jobs timed one after another (default 30, big 0; 0 = skip)
              --latency-warmup W    single-task jobs through each side before those are timed (default 200:
                                    the per-job code, run once per job, is still interpreted after the
                                    tiny warm-up's few jobs)
              --coordinator-heap H  -Xmx of the coordinator JVM (default 256m)
              --routes DIR          taskfarm's routes directory (default routes)
              --set key=value       extra taskfarm property for every taskfarm process (repeatable)
              --profile DIR         record a JFR profile of every taskfarm JVM into DIR (<node>.jfr), and keep
                                    their logs there (<node>.log)
            """;

    private Bench() {
    }

    /** Runs the benchmark; returns the process exit code. */
    public static int run(String[] args) {
        return run(args, System.out);
    }

    static int run(String[] args, PrintStream out) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            out.println(e.getMessage());
            out.print(USAGE);
            return 2;
        }
        Path dir = null;
        boolean failed = false;
        try {
            dir = Files.createTempDirectory("taskfarm-bench-");
            return new Bench().execute(o, dir, out);
        } catch (Exception e) {
            failed = true;
            out.println("bench failed: " + e);
            e.printStackTrace(out);
            // what the coordinator and the workers logged is what tells why: kept, not deleted
            out.println("the taskfarm processes' logs are kept under " + dir + " (bench-*/<node>.log; delete the"
                    + " directory when done, it also holds the workload's input files)");
            return 1;
        } finally {
            if (!failed) {
                deleteTree(dir);
            }
        }
    }

    private int execute(Options o, Path dir, PrintStream out) throws Exception {
        Workload wl = Workload.of("fair".equals(o.workload) ? "big" : o.workload, o.tasks, o.rounds);
        ConnectionFactory rabbit = new ConnectionFactory();
        rabbit.setUri(o.broker);
        // a broker that goes away fails the run: no silent recovery in the middle of a measurement
        rabbit.setAutomaticRecoveryEnabled(false);
        if (!o.broker.contains("@")) {
            // else the amqp-client defaults: RabbitMQ's own local-only default account
            String user = System.getenv("RABBITMQ_USERNAME");
            String password = System.getenv("RABBITMQ_PASSWORD");
            if (user != null && password != null) {
                rabbit.setUsername(user);
                rabbit.setPassword(password);
            }
        }
        String brokerVersion;
        try (Connection c = rabbit.newConnection("bench-probe")) {
            brokerVersion = c.getServerProperties().get("product") + " " + c.getServerProperties().get("version");
        }
        if ("fair".equals(o.workload)) {
            return FairBench.run(o, wl, rabbit, brokerVersion, dir, out);
        }
        Path job = wl.write(dir, "job", wl.tasks());
        // warm-up: tiny tasks through both paths until the JIT has compiled the messaging code (as in a
        // long-running coordinator; docs/BENCHMARKS.md), then for cpu a few tasks of the workload itself
        int warmJob = Math.min(20_000, Math.max(1, o.warmup));
        Path warm = new Workload("tiny", warmJob, 1).write(dir, "warm", warmJob);
        // cpu: 200 tasks of the workload too (a fresh worker JVM still compiles taskfarm's code for
        // seconds after the tiny warm-up, and on 2 cores its compiler threads take CPU from the compute)
        int warmCpuTasks = 200;
        Path warmCpu = wl.rounds() > 1 ? wl.write(dir, "warm-cpu", warmCpuTasks) : null;
        // taskfarm's variants: label -> chunk size asked for (0 = none: the default, auto)
        Map<String, Integer> farmVariants = new LinkedHashMap<>();
        if (o.variants.contains("taskfarm")) {
            farmVariants.put("taskfarm", 0);
        }
        if (o.variants.contains("off")) {
            farmVariants.put("taskfarm chunk=1", 1);
        }
        if (o.variants.contains("chunked")) {
            farmVariants.put("taskfarm chunk=" + o.chunk, o.chunk);
        }
        boolean seedToo = o.variants.contains("seed");
        Path single = wl.write(dir, "single", 1);
        long timeout = Math.max(180, wl.tasks() / 500L);
        double[] mixedWork = "mixed".equals(wl.name()) ? mixedWork(wl) : null;

        out.printf("taskfarm bench %s: N=%d R=%d%s | %s at %s:%d | %d cores, load average %.2f at start | %s%n",
                wl.name(), wl.tasks(), wl.rounds(), wl.longRounds() > 0 ? " (1% with R=" + wl.longRounds() + ", shuffled)" : "",
                brokerVersion, rabbit.getHost(), rabbit.getPort(),
                Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Instant.now());
        out.printf("raw baseline and taskfarm: durable quorum queues, persistent messages, publisher confirms; "
                + "seed shape: transient queues and messages, no confirms, Qos 1; %d run(s) per variant, alternated%n", o.runs);

        Map<Integer, Map<String, List<RunResult>>> byWorkers = new LinkedHashMap<>();
        for (int k : o.workers) {
            String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            Map<String, List<RunResult>> variants = new LinkedHashMap<>();
            Path runDir = Files.createDirectories(dir.resolve(prefix));
            out.printf("%n== %d worker process(es) x %d consumer(s); raw baseline: %d worker threads; seed shape: %d "
                    + "consumer(s); queues %s.*%n", k, o.consumers, k * o.consumers, k, prefix);
            try (RawBaseline raw = new RawBaseline(RawBaseline.Shape.RAW, rabbit, prefix, k * o.consumers, runDir);
                 RawBaseline seed = seedToo ? new RawBaseline(RawBaseline.Shape.SEED, rabbit, prefix, k, runDir) : null;
                 FarmUnderTest farm = FarmUnderTest.start(o, rabbit, prefix, k, runDir)) {
                List<RawBaseline> baselines = seed == null ? List.of(raw) : List.of(raw, seed);
                try {
                    for (int w = 0; w * warmJob < o.warmup; w++) {
                        for (RawBaseline b : baselines) {
                            b.run("warm-" + b.shape().name() + "-" + w, warm, warmJob, timeout);
                        }
                        int f = 0;
                        for (int chunk : farmVariants.values()) {
                            farm.run("warm-tf" + f++ + "-" + w, warm, warmJob, chunk, timeout);
                        }
                    }
                    if (warmCpu != null && !farmVariants.isEmpty()) {
                        // tasks of ~20 ms go one per message (auto chunks stay at 1), a path the
                        // chunked tiny warm-up leaves cold: warm it too, or the coordinator runs its
                        // per-message code interpreted for the whole measured run (2-7 ms of CPU
                        // per task instead of ~0.1, taken from the compute on 2 cores)
                        farm.run("warm-tf-msg", warm, warmJob, 1, timeout);
                    }
                    if (warmCpu != null) {
                        for (RawBaseline b : baselines) {
                            b.run("warm-" + b.shape().name() + "-cpu", warmCpu, warmCpuTasks, timeout);
                        }
                        int f = 0;
                        for (int chunk : farmVariants.values()) {
                            farm.run("warm-tf" + f++ + "-cpu", warmCpu, warmCpuTasks, chunk, timeout);
                        }
                    }
                    farm.resetHeap();
                    CpuMeter cpu = new CpuMeter(farm);
                    for (int r = 1; r <= o.runs; r++) {
                        String n = String.valueOf(r);
                        for (RawBaseline b : baselines) {
                            record(out, variants, b.shape().label(),
                                    cpu.measure(() -> b.run(b.shape().name() + "-" + n, job, wl.tasks(), timeout)));
                        }
                        int f = 0;
                        for (var v : farmVariants.entrySet()) {
                            String id = "tf" + f++ + "-" + n;
                            record(out, variants, v.getKey(),
                                    cpu.measure(() -> farm.run(id, job, wl.tasks(), v.getValue(), timeout)));
                        }
                    }
                    long[] heap = farm.heap();
                    // the per-job code (intake, registration, result file) runs once per job: warm it
                    // the way a coordinator that has run many jobs is warm, on both sides alike
                    for (int r = 0; o.latencyJobs > 0 && r < o.latencyWarmup; r++) {
                        raw.run("warm-one-raw-" + r, single, 1, 60);
                        farm.run("warm-one-tf-" + r, single, 1, 0, 60);
                    }
                    for (int r = 0; r < o.latencyJobs; r++) {
                        variants.computeIfAbsent("single raw", x -> new ArrayList<>())
                                .add(raw.run("one-raw-" + r, single, 1, 60));
                        variants.computeIfAbsent("single taskfarm", x -> new ArrayList<>())
                                .add(farm.run("one-tf-" + r, single, 1, 0, 60));
                    }
                    report(out, wl, k, variants, heap, o);
                    if (mixedWork != null) {
                        reportMakespan(out, variants, mixedWork, k * o.consumers);
                    }
                } finally {
                    for (RawBaseline b : baselines) {
                        b.deleteQueues();
                    }
                }
            }
            byWorkers.put(k, variants);
        }
        if (byWorkers.size() > 1) {
            int first = o.workers.get(0);
            for (int k : o.workers.subList(1, o.workers.size())) {
                for (String v : List.of("raw baseline", "seed shape", "taskfarm")) {
                    if (!byWorkers.get(first).containsKey(v)) {
                        continue;
                    }
                    double a = Stats.median(tps(byWorkers.get(first).get(v)));
                    double b = Stats.median(tps(byWorkers.get(k).get(v)));
                    out.printf("scaling %-13s %d -> %d worker processes: %.0f -> %.0f tasks/s = %.2fx%n", v, first, k, a, b,
                            b / a);
                }
            }
        }
        return 0;
    }

    /**
     * mixed: {short tasks' microseconds, long tasks' microseconds, number of long tasks}, the
     * compute's best time on this machine (so the ideal is a lower bound).
     */
    private static double[] mixedWork(Workload wl) throws Exception {
        int longOnes = wl.longTasks(wl.tasks()).cardinality();
        return new double[] {Workload.bestNanos(wl.rounds()) / 1000.0, Workload.bestNanos(wl.longRounds()) / 1000.0, longOnes};
    }

    /**
     * mixed: each variant's makespan (submit to result) against the ideal, total work / slots or the
     * longest task if that is larger.
     */
    private static void reportMakespan(PrintStream out, Map<String, List<RunResult>> variants, double[] work, int slots) {
        int longOnes = (int) work[2];
        int tasks = variants.get("raw baseline").get(0).tasks();
        double total = (tasks - longOnes) * work[0] + longOnes * work[1];
        double ideal = Math.max(total / slots, work[1]);
        out.printf("%nmixed: short task %.0f us, long task %.0f us (best of many here), %d long of %d; total work %.2f s on "
                + "%d slot(s): ideal makespan %.2f s%n", work[0], work[1], longOnes, tasks, total / 1e6, slots, ideal / 1e6);
        for (var e : variants.entrySet()) {
            if (e.getKey().startsWith("single")) {
                continue;
            }
            List<Double> seconds = e.getValue().stream().map(r -> r.micros() / 1e6).toList();
            out.printf("makespan %-22s min %.2f median %.2f max %.2f s = %.2fx the ideal (median)%n", e.getKey(),
                    Stats.min(seconds), Stats.median(seconds), Stats.max(seconds), Stats.median(seconds) * 1e6 / ideal);
        }
    }

    private static void record(PrintStream out, Map<String, List<RunResult>> variants, String name, RunResult r) {
        variants.computeIfAbsent(name, x -> new ArrayList<>()).add(r);
        out.printf("  %-22s %9.0f tasks/s  (%d tasks in %.2f s; task round trip p50 %.1f ms, p99 %.1f ms; %s)%n", name,
                r.tasksPerSecond(), r.tasks(), r.micros() / 1e6, r.p50Micros() / 1000.0, r.p99Micros() / 1000.0,
                r.cpu() == null ? "" : r.cpu().describe(r.tasks()));
    }

    private static List<Double> tps(List<RunResult> runs) {
        return runs.stream().map(RunResult::tasksPerSecond).toList();
    }

    private static void report(PrintStream out, Workload wl, int k, Map<String, List<RunResult>> variants, long[] heap,
            Options o) {
        out.printf("%n%-22s %9s %9s %9s   %s%n", "variant (" + k + " worker proc)", "min", "median", "max",
                "tasks/s; task round trip median p50 / p99 (ms)");
        for (var e : variants.entrySet()) {
            if (e.getKey().startsWith("single")) {
                continue;
            }
            List<Double> t = tps(e.getValue());
            out.printf("%-22s %9.0f %9.0f %9.0f   %.1f / %.1f%n", e.getKey(), Stats.min(t), Stats.median(t), Stats.max(t),
                    Stats.median(e.getValue().stream().map(r -> r.p50Micros() / 1000.0).toList()),
                    Stats.median(e.getValue().stream().map(r -> r.p99Micros() / 1000.0).toList()));
        }
        out.printf("%nCPU per task (median, microseconds): %-22s%n", "coordinator / workers / bench JVM (runs the raw baseline) / broker");
        for (var e : variants.entrySet()) {
            if (!e.getKey().startsWith("single")) {
                out.printf("  %-22s %s%n", e.getKey(), CpuMeter.medianPerTask(e.getValue()));
            }
        }
        for (String baseline : List.of("raw baseline", "seed shape")) {
            if (!variants.containsKey(baseline)) {
                out.printf("ratio against the %s: not run (--variants)%n", baseline);
                continue;
            }
            double base = Stats.median(tps(variants.get(baseline)));
            for (var e : variants.entrySet()) {
                if (e.getKey().startsWith("taskfarm")) {
                    out.printf("ratio %s / %s (medians): %.2f%n", e.getKey(), baseline, Stats.median(tps(e.getValue())) / base);
                }
            }
        }
        for (String v : List.of("single raw", "single taskfarm")) {
            List<RunResult> s = variants.get(v);
            if (s != null && !s.isEmpty()) {
                List<Long> ms = s.stream().map(RunResult::micros).sorted(Comparator.naturalOrder()).toList();
                out.printf("single-task job round trip, %-16s p50 %.1f ms, p99 %.1f ms (%d jobs, after %d unmeasured)%n",
                        v.substring(7) + ":", Stats.quantile(ms, 0.5) / 1000.0, Stats.quantile(ms, 0.99) / 1000.0,
                        ms.size(), o.latencyWarmup);
            }
        }
        out.printf("coordinator peak heap (-Xmx%s): %d MiB used, %d MiB after GC (max %d MiB)%n", o.coordinatorHeap,
                heap[0] >> 20, heap[1] >> 20, heap[2] >> 20);
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // temp files: the OS cleans them
        }
    }
}
