package dev.taskfarm.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;
import org.apache.camel.support.DefaultExchange;

import dev.taskfarm.TaskfarmApp;
import dev.taskfarm.collect.ResultWriter;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.wire.Wire;

/**
 * One taskfarm process of a benchmark (coordinator or worker), started by {@link Bench} as its own
 * JVM: {@code BenchNode key=value...} runs {@link TaskfarmApp#newMain()} with those properties and
 * takes commands on stdin; answers are stdout lines starting with {@value #PREFIX}.
 * <ul>
 * <li>{@code submit <jobId> <file> <chunkSize> [priority]}: runs the job through the intake bean and
 * hands it to the dispatcher (the file intake route minus its polling delay); answers
 * {@code done <jobId> <status> <micros from submit to result file> <p50 us> <p99 us> <file>}</li>
 * <li>{@code progress <jobId>...}: {@code progress <jobId>=<tasks done>...}, -1 for a job that
 * ended or is unknown</li>
 * <li>{@code heap-reset} / {@code heap}: peak heap used and peak heap after GC since the reset</li>
 * <li>{@code cpu}: CPU time the process has used, in nanoseconds</li>
 * <li>{@code quit}</li>
 * </ul>
 */
public final class BenchNode {

    static final String PREFIX = "@bench ";

    private static volatile long peakUsed;
    private static volatile long peakAfterGc;

    private BenchNode() {
    }

    public static void main(String[] args) throws Exception {
        Main main = TaskfarmApp.newMain();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            main.addOverrideProperty(arg.substring(0, eq), arg.substring(eq + 1));
        }
        main.start();
        CamelContext context = main.getCamelContext();
        Map<String, Long> started = new ConcurrentHashMap<>();
        ResultWriter writer = context.getRegistry().lookupByNameAndType("resultWriter", ResultWriter.class);
        if (writer != null) {
            writer.addListener((job, status, file, tally) -> {
                Long t0 = started.remove(job.jobId());
                long micros = t0 == null ? -1 : (System.nanoTime() - t0) / 1000;
                answer("done " + job.jobId() + " " + status + " " + micros + " "
                        + (tally == null ? -1 : tally.roundTripMicros(0.5)) + " "
                        + (tally == null ? -1 : tally.roundTripMicros(0.99)) + " " + file.toAbsolutePath());
            });
        }
        Thread sampler = new Thread(BenchNode::sampleHeap, "bench-heap");
        sampler.setDaemon(true);
        sampler.start();
        ExecutorService submitter = Executors.newSingleThreadExecutor();
        ProducerTemplate template = context.createProducerTemplate();
        answer("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] cmd = line.trim().split(" ");
            switch (cmd[0]) {
                case "submit" -> submitter.submit(() -> submit(context, template, started, cmd[1], cmd[2],
                        Integer.parseInt(cmd[3]), cmd.length > 4 ? Integer.parseInt(cmd[4]) : 0));
                case "progress" -> {
                    var progress = context.getRegistry().lookupByNameAndType("jobProgress",
                            dev.taskfarm.collect.JobProgress.class);
                    StringBuilder sb = new StringBuilder("progress");
                    for (int i = 1; i < cmd.length; i++) {
                        var t = progress.get(cmd[i]);
                        sb.append(' ').append(cmd[i]).append('=').append(t == null ? -1 : t.done());
                    }
                    answer(sb.toString());
                }
                case "heap-reset" -> {
                    System.gc();
                    peakUsed = 0;
                    peakAfterGc = 0;
                    answer("heap-reset");
                }
                case "cpu" -> answer("cpu " + ((com.sun.management.OperatingSystemMXBean) ManagementFactory
                        .getOperatingSystemMXBean()).getProcessCpuTime());
                case "heap" -> answer("heap " + peakUsed + " " + peakAfterGc + " " + Runtime.getRuntime().maxMemory());
                case "quit" -> {
                    submitter.shutdownNow();
                    main.stop();
                    answer("bye");
                    System.exit(0);
                }
                default -> answer("error unknown command " + cmd[0]);
            }
        }
        main.stop();
        System.exit(0);
    }

    private static void submit(CamelContext context, ProducerTemplate template, Map<String, Long> started, String jobId,
            String file, int chunk, int priority) {
        try {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setBody(new File(file));
            exchange.getMessage().setHeader(Wire.JOB_ID, jobId);
            if (chunk > 0) {
                exchange.getMessage().setHeader(Wire.CHUNK_SIZE, chunk); // else the default: auto
            }
            if (priority > 0) {
                exchange.getMessage().setHeader(JobIntake.PRIORITY, priority);
            }
            started.put(jobId, System.nanoTime());
            context.getRegistry().lookupByNameAndType("jobIntake", JobIntake.class).accept(exchange);
            context.getRegistry().lookupByNameAndType("jobDispatcher", dev.taskfarm.dispatch.Dispatcher.class).add(exchange);
            template.sendBody(dev.taskfarm.CoordinatorBeans.DISPATCH_ENDPOINT, null);
        } catch (Exception e) {
            started.remove(jobId);
            answer("failed " + jobId + " " + e);
        }
    }

    /** Heap after each garbage collection (all heap pools), from the GC notifications. */
    private static void watchGc() {
        var heapPools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getName).toList();
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((javax.management.NotificationEmitter) gc).addNotificationListener((n, hb) -> {
                var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                        (javax.management.openmbean.CompositeData) n.getUserData());
                long after = 0;
                for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    after += heapPools.contains(e.getKey()) ? e.getValue().getUsed() : 0;
                }
                peakAfterGc = Math.max(peakAfterGc, after);
            }, n -> com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType()),
                    null);
        }
    }

    private static void sampleHeap() {
        var memory = ManagementFactory.getMemoryMXBean();
        watchGc();
        while (true) {
            peakUsed = Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static synchronized void answer(String line) {
        System.out.println(PREFIX + line);
        System.out.flush();
    }
}
