package dev.taskfarm.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke test of the benchmark command on a tiny job: it runs both sides and prints every figure.
 * No timing is asserted (benchmarks are not tests; see docs/BENCHMARKS.md).
 */
class BenchIT {

    @Test
    void printsThroughputRatiosLatencyAndHeapAndCleansUp() throws Exception {
        Map<String, String> p = TestBroker.rabbitProperties();
        assertThat(p).as(TestBroker.description()).containsKey("taskfarm.rabbitmq.username");
        String url = p.containsKey("taskfarm.rabbitmq.url") ? p.get("taskfarm.rabbitmq.url")
                : "amqp://" + p.get("taskfarm.rabbitmq.host") + ":" + p.get("taskfarm.rabbitmq.port");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        int exit = Bench.run(new String[] {"--workload", "tiny", "--tasks", "300", "--runs", "1", "--chunk", "20",
            "--consumers", "2", "--latency-jobs", "2", "--latency-warmup", "3", "--warmup", "300", "--broker", url}, out);

        String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("taskfarm bench tiny: N=300 R=1", "raw baseline", "seed shape", "taskfarm chunk=20",
                "taskfarm chunk=1", "ratio taskfarm / raw baseline (medians):", "ratio taskfarm / seed shape (medians):",
                "ratio taskfarm chunk=1 / raw baseline (medians):", "ratio taskfarm chunk=20 / seed shape (medians):",
                "task round trip", "single-task job round trip, taskfarm:", "(2 jobs, after 3 unmeasured)", "coordinator peak heap (-Xmx256m):",
                "CPU per task");
        assertQueuesDeleted(report, url, p);
    }

    @Test
    void theMixedWorkloadReportsEachMakespanAgainstTheIdeal() throws Exception {
        Map<String, String> p = TestBroker.rabbitProperties();
        String url = p.containsKey("taskfarm.rabbitmq.url") ? p.get("taskfarm.rabbitmq.url")
                : "amqp://" + p.get("taskfarm.rabbitmq.host") + ":" + p.get("taskfarm.rabbitmq.port");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        int exit = Bench.run(new String[] {"--workload", "mixed", "--tasks", "300", "--rounds", "20", "--runs", "1",
            "--latency-jobs", "0", "--warmup", "100", "--broker", url}, out);

        String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("taskfarm bench mixed: N=300 R=20 (1% with R=2000, shuffled)", "3 long of 300",
                "ideal makespan", "makespan raw baseline", "makespan seed shape", "makespan taskfarm",
                "the ideal (median)");
        assertQueuesDeleted(report, url, p);
    }

    @Test
    void theFairWorkloadReportsSmallJobTimesLossAndShares() throws Exception {
        Map<String, String> p = TestBroker.rabbitProperties();
        String url = p.containsKey("taskfarm.rabbitmq.url") ? p.get("taskfarm.rabbitmq.url")
                : "amqp://" + p.get("taskfarm.rabbitmq.host") + ":" + p.get("taskfarm.rabbitmq.port");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        int exit = Bench.run(new String[] {"--workload", "fair", "--tasks", "20000", "--warmup", "100", "--broker", url},
                out);

        String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("taskfarm bench fair: big job N=20000", "(a) 10-task job beside the big job",
                "(b) big job alone", "loss", "(c) two equal jobs", "(d) priority 2 vs 1");
        assertQueuesDeleted(report, url, p);
    }

    private static void assertQueuesDeleted(String report, String url, Map<String, String> p) throws Exception {
        String queues = report.replaceAll("(?s).*queues (bench-[0-9a-f]+)\\.\\*.*", "$1");
        assertThat(queues).startsWith("bench-");
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(url);
        f.setUsername(p.get("taskfarm.rabbitmq.username"));
        f.setPassword(p.get("taskfarm.rabbitmq.password"));
        try (Connection c = f.newConnection()) {
            for (String q : new String[] {".requests.sha256", ".replies", ".raw.requests", ".raw.replies", ".seed.requests",
                ".seed.replies"}) {
                var ch = c.createChannel();
                assertThat(queueExists(ch, queues + q)).as("queue " + queues + q + " deleted").isFalse();
            }
        }
    }

    @Test
    void refusesUnknownOptionsWithUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = Bench.run(new String[] {"--workload", "huge"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(2);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("--workload must be tiny, cpu, big, mixed or fair", "usage:");
        bytes.reset();
        assertThat(Bench.run(new String[] {"--frobnicate", "1"}, new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("unknown option --frobnicate", "usage:");
    }

    private static boolean queueExists(com.rabbitmq.client.Channel ch, String name) {
        try {
            ch.queueDeclarePassive(name);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
