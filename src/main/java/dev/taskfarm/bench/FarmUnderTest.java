package dev.taskfarm.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import dev.taskfarm.compute.ComputeRegistry;

/**
 * taskfarm as the benchmark runs it: one coordinator JVM (with a bounded heap) and K worker JVMs,
 * the way they run on Kubernetes, on their own queues (unique names) and directories.
 */
final class FarmUnderTest implements AutoCloseable {

    private final NodeProcess coordinator;
    private final List<NodeProcess> workers = new ArrayList<>();
    private final ConnectionFactory rabbit;
    private final String prefix;

    private FarmUnderTest(NodeProcess coordinator, ConnectionFactory rabbit, String prefix) {
        this.coordinator = coordinator;
        this.rabbit = rabbit;
        this.prefix = prefix;
    }

    static FarmUnderTest start(Bench.Options o, ConnectionFactory rabbit, String prefix, int workerProcesses, Path dir)
            throws Exception {
        Map<String, String> common = new HashMap<>();
        common.put("taskfarm.broker", "rabbitmq");
        common.put("taskfarm.rabbitmq.host", rabbit.getHost());
        common.put("taskfarm.rabbitmq.port", String.valueOf(rabbit.getPort()));
        common.put("taskfarm.rabbitmq.virtual-host", rabbit.getVirtualHost());
        common.put("taskfarm.rabbitmq.tls", String.valueOf(rabbit.isSSL()));
        common.put("taskfarm.queue.requests", prefix + ".requests");
        common.put("taskfarm.queue.replies", prefix + ".replies");
        common.put("taskfarm.queue.dead-letters", prefix + ".requests.dlq");
        common.put("taskfarm.routes", o.routes.toAbsolutePath().toString());
        common.put("taskfarm.http.port", "0");
        common.putAll(o.extra);
        // credentials through the environment, never on a command line
        Map<String, String> env = Map.of("RABBITMQ_USERNAME", rabbit.getUsername(), "RABBITMQ_PASSWORD", rabbit.getPassword());

        Map<String, String> coord = new HashMap<>(common);
        coord.put("taskfarm.role", "coordinator");
        coord.put("taskfarm.inbox", dir.resolve("inbox").toString());
        coord.put("taskfarm.outbox", dir.resolve("outbox").toString());
        coord.put("taskfarm.data", dir.resolve("data").toString());
        Path logs = o.profile != null ? o.profile : dir;
        FarmUnderTest farm = new FarmUnderTest(
                NodeProcess.start("coordinator", jvm(o, "coordinator", "-Xmx" + o.coordinatorHeap), coord, env, logs), rabbit,
                prefix);
        try {
            for (int i = 0; i < workerProcesses; i++) {
                Map<String, String> w = new HashMap<>(common);
                w.put("taskfarm.role", "worker");
                w.put("taskfarm.worker.slots", String.valueOf(o.consumers));
                if (o.prefetch != null) {
                    w.put("taskfarm.worker.lookahead", String.valueOf(o.prefetch));
                }
                farm.workers.add(NodeProcess.start("worker-" + (i + 1), jvm(o, "worker-" + (i + 1), "-Xmx512m"), w, env, logs));
            }
        } catch (Exception e) {
            farm.close();
            throw e;
        }
        return farm;
    }

    private static List<String> jvm(Bench.Options o, String node, String heap) throws java.io.IOException {
        List<String> options = new ArrayList<>(List.of(heap));
        if (o.profile != null) {
            java.nio.file.Files.createDirectories(o.profile);
            options.add("-XX:StartFlightRecording=settings=profile,method-profiling=max,filename=" + o.profile.resolve(node + ".jfr"));
        }
        return options;
    }

    /** Runs one job through the coordinator; fails unless it ends completed. */
    Bench.RunResult run(String jobId, Path file, int tasks, int chunk, long timeoutSeconds) throws Exception {
        coordinator.send("submit " + jobId + " " + file.toAbsolutePath() + " " + chunk);
        String[] a = coordinator.await("done " + jobId + " ", timeoutSeconds).split(" ");
        if (!"completed".equals(a[2])) {
            throw new IllegalStateException("taskfarm job " + jobId + " ended " + a[2] + "; see " + coordinator.log());
        }
        java.nio.file.Files.deleteIfExists(Path.of(a[6]));
        return new Bench.RunResult(tasks, Long.parseLong(a[3]), Long.parseLong(a[4]), Long.parseLong(a[5]));
    }

    /** "done" answers that arrived while something else was awaited, by job id. */
    private final Map<String, String> doneLines = new HashMap<>();

    /** Submits a job without waiting for it ({@link #awaitDone}); priority 0 = the default. */
    void submit(String jobId, Path file, int chunk, int priority) {
        coordinator.send("submit " + jobId + " " + file.toAbsolutePath() + " " + chunk + " " + priority);
    }

    /** Waits for a job {@link #submit submitted} before; fails unless it ends completed. */
    Bench.RunResult awaitDone(String jobId, int tasks, long timeoutSeconds) throws Exception {
        String line = doneLines.remove(jobId);
        while (line == null) {
            String a = coordinator.await("done ", timeoutSeconds, this::stash);
            if (a.startsWith("done " + jobId + " ")) {
                line = a;
            } else {
                stash(a);
            }
        }
        String[] a = line.split(" ");
        if (!"completed".equals(a[2])) {
            throw new IllegalStateException("taskfarm job " + jobId + " ended " + a[2] + "; see " + coordinator.log());
        }
        java.nio.file.Files.deleteIfExists(Path.of(a[6]));
        return new Bench.RunResult(tasks, Long.parseLong(a[3]), Long.parseLong(a[4]), Long.parseLong(a[5]));
    }

    private void stash(String answer) {
        if (answer.startsWith("done ")) {
            doneLines.put(answer.split(" ")[1], answer);
        }
    }

    /** Whether the job's "done" answer came (it ended). */
    boolean ended(String jobId) {
        return doneLines.containsKey(jobId);
    }

    /** Tasks done of a job now: 0 before it is accepted, Long.MAX_VALUE once it ended. */
    long doneOf(String jobId) throws Exception {
        long d = progress(jobId)[0];
        return ended(jobId) ? Long.MAX_VALUE : Math.max(0, d);
    }

    /** Tasks done of each job now, -1 for a job that ended or is not accepted yet. */
    long[] progress(String... jobIds) throws Exception {
        coordinator.send("progress " + String.join(" ", jobIds));
        String[] a = coordinator.await("progress", 30, this::stash).split(" ");
        long[] done = new long[jobIds.length];
        for (int i = 0; i < jobIds.length; i++) {
            done[i] = Long.parseLong(a[i + 1].substring(a[i + 1].indexOf('=') + 1));
        }
        return done;
    }

    /** CPU time used so far by {coordinator, all workers}, in nanoseconds. */
    long[] cpuNanos() throws Exception {
        long[] sum = new long[2];
        for (NodeProcess n : workers) {
            sum[1] += cpu(n);
        }
        sum[0] = cpu(coordinator);
        return sum;
    }

    private static long cpu(NodeProcess n) throws Exception {
        n.send("cpu");
        return Long.parseLong(n.await("cpu ", 30).split(" ")[1]);
    }

    void resetHeap() throws Exception {
        coordinator.send("heap-reset");
        coordinator.await("heap-reset", 30);
    }

    /** {peak heap used, peak heap after GC, max heap} of the coordinator since the last reset, in bytes. */
    long[] heap() throws Exception {
        coordinator.send("heap");
        String[] a = coordinator.await("heap ", 30).split(" ");
        return new long[] {Long.parseLong(a[1]), Long.parseLong(a[2]), Long.parseLong(a[3])};
    }

    @Override
    public void close() throws Exception {
        for (NodeProcess w : workers) {
            w.close();
        }
        coordinator.close();
        try (Connection c = rabbit.newConnection("bench-cleanup"); Channel ch = c.createChannel()) {
            // the requests queue of every compute on the class path (the coordinator declares them all
            // at start; the nodes run on the bench's own class path), the replies and dead letters
            List<String> queues = new ArrayList<>(List.of(".replies", ".requests.dlq"));
            for (String compute : ComputeRegistry.discover(FarmUnderTest.class.getClassLoader()).keySet()) {
                queues.add(".requests." + compute);
            }
            for (String q : queues) {
                ch.queueDelete(prefix + q);
            }
        }
    }
}
