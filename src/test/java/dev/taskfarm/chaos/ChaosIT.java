package dev.taskfarm.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.PrivateRabbit;
import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kills real processes while a job runs and checks, like Jepsen, that nothing is lost and nothing
 * is counted twice: worker JVMs SIGKILLed mid-task, the coordinator SIGKILLed and restarted, the
 * broker restarted; and poison tasks of every kind. The broker that is restarted is a private
 * RabbitMQ node this test starts itself (own node name, ports and data), never the shared one.
 */
class ChaosIT {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Kept after the run (under target/) so a failure can be read from the process logs. */
    Path dir;

    @org.junit.jupiter.api.BeforeEach
    void workDir(org.junit.jupiter.api.TestInfo info) throws Exception {
        dir = Files.createDirectories(Path.of("target", "chaos",
                info.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8)))
                .toAbsolutePath();
    }

    final List<FarmProcess> processes = new ArrayList<>();
    final List<String> queues = new ArrayList<>();
    /** The private node of a test that restarts its broker, else null (the shared broker). */
    PrivateRabbit rabbit;

    private Map<String, String> base(String prefix, int deliveryLimit) {
        Map<String, String> p = new HashMap<>(rabbit != null ? rabbit.properties() : TestBroker.rabbitProperties());
        p.put("taskfarm.queue.requests", prefix + ".requests");
        p.put("taskfarm.queue.replies", prefix + ".replies");
        p.put("taskfarm.queue.dead-letters", prefix + ".requests.dlq");
        p.put("taskfarm.queue.delivery-limit", String.valueOf(deliveryLimit));
        p.put("taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        p.put("taskfarm.http.port", "0");
        p.put("taskfarm.broker.wait", "PT90S");
        queues.addAll(dev.taskfarm.support.TestQueues.of(prefix));
        return p;
    }

    private FarmProcess process(String name, Map<String, String> props) {
        FarmProcess p = new FarmProcess(name, dir.resolve(name), props);
        processes.add(p);
        return p;
    }

    /** Starts a coordinator and {@code workers} worker JVMs, waits until they run; returns the coordinator. */
    private FarmProcess startFarm(Map<String, String> common, int workers, int slots, int lookahead) throws Exception {
        Map<String, String> c = new HashMap<>(common);
        c.put("taskfarm.role", "coordinator");
        FarmProcess coordinator = process("coordinator", c).start();
        for (int i = 0; i < workers; i++) {
            Map<String, String> w = new HashMap<>(common);
            w.put("taskfarm.role", "worker");
            w.put("taskfarm.worker.slots", String.valueOf(slots));
            w.put("taskfarm.worker.lookahead", String.valueOf(lookahead));
            process("worker-" + i, w).start();
        }
        for (FarmProcess p : processes) {
            p.awaitStarted(Duration.ofSeconds(90));
        }
        return coordinator;
    }

    private void submit(String jobId, ObjectNode job) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("coordinator/inbox"));
        Files.writeString(inbox.resolve("." + jobId + ".json.tmp"), job.toString());
        Files.move(inbox.resolve("." + jobId + ".json.tmp"), inbox.resolve(jobId + ".json"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (FarmProcess p : processes) {
            p.stop();
        }
        if (rabbit != null) {
            rabbit.close(); // its queues go with it
            return;
        }
        try (Connection c = TestBroker.connectionFactory().newConnection(); Channel ch = c.createChannel()) {
            for (String q : queues) {
                ch.queueDelete(q);
            }
        }
    }

    /** Tasks of the job with a result, from the coordinator's last progress line (0 before the first). */
    private static long done(FarmProcess coordinator, String job) throws java.io.IOException {
        if (!Files.exists(coordinator.log())) {
            return 0;
        }
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("Job " + job + ": (\\d+)/\\d+ done");
        long done = 0;
        try (var lines = Files.lines(coordinator.log(), java.nio.charset.StandardCharsets.ISO_8859_1)) {
            for (String line : (Iterable<String>) lines::iterator) {
                java.util.regex.Matcher m = p.matcher(line);
                if (m.find()) {
                    done = Long.parseLong(m.group(1));
                }
            }
        }
        return done;
    }

    /** A result file's ok results (each checked against its expected digest), entries and distinct indexes. */
    private record Tally(int ok, int entries, int indexes) {
    }

    private static Tally tally(JsonNode r) throws Exception {
        Set<Integer> indexes = new HashSet<>();
        int ok = 0;
        for (JsonNode e : r.get("results")) {
            indexes.add(e.get("index").asInt());
            if ("ok".equals(e.get("status").asText())) {
                assertThat(e.get("result").asText()).isEqualTo(Jobs.expectedSha(e.get("index").asInt(), 1));
                ok++;
            }
        }
        return new Tally(ok, r.get("results").size(), indexes.size());
    }

    private long readyRequests(String queue) {
        try (Connection c = rabbit.connectionFactory().newConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (Exception e) {
            return -1; // broker restarting
        }
    }

    @Test
    void tenThousandTasksSurviveWorkerKillsACoordinatorKillAndABrokerRestart() throws Exception {
        rabbit = PrivateRabbit.start(dir.resolve("rabbitmq"));
        String prefix = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> common = base(prefix, 20);

        common.put("taskfarm.watchdog.interval-ms", "1000");
        common.put("taskfarm.job.timeout", "PT5M");
        // the schedule below follows the job's progress, as the coordinator logs it
        common.put("taskfarm.progress.interval-ms", "200");
        FarmProcess coordinator = startFarm(common, 3, 4, 10);
        List<FarmProcess> workers = processes.subList(1, 4);

        int n = 10_000;
        ObjectNode job = Jobs.shaJob("poison", n, 1);
        job.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 12));
        submit("chaos", job);

        // the fault schedule, by tasks without a result (the requests queue holds only the job's
        // window: the coordinator dispatches the job window by window)
        List<String> faults = new ArrayList<>();
        Path result = dir.resolve("coordinator/outbox/chaos.result.json");
        await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
            long brokerUp = readyRequests(prefix + ".requests.poison");
            long ready = n - done(coordinator, "chaos");
            Files.writeString(dir.resolve("progress.txt"), "remaining=" + ready + " faults=" + faults + "\n");
            if (brokerUp >= 0) {
                if (faults.isEmpty() && ready < 8000) {
                    workers.get(0).kill();
                    faults.add("SIGKILL worker-0 at " + ready + " remaining");
                } else if (faults.size() == 1 && ready < 6500) {
                    workers.get(1).kill();
                    faults.add("SIGKILL worker-1 at " + ready + " remaining");
                } else if (faults.size() == 2 && ready < 5000) {
                    coordinator.kill();
                    faults.add("SIGKILL coordinator at " + ready + " remaining");
                    coordinator.start();
                } else if (faults.size() == 3 && ready < 3500) {
                    faults.add("private broker node stop_app/start_app at " + ready + " remaining");
                    rabbit.ctl("stop_app");
                    rabbit.ctl("start_app");
                } else if (faults.size() == 4 && ready < 2000) {
                    workers.get(2).kill();
                    faults.add("SIGKILL worker-2 at " + ready + " remaining");
                }
            }
            for (FarmProcess w : workers) {
                w.restartIfDead(); // what the Deployment would do
            }
            return Files.exists(result);
        });

        JsonNode r = MAPPER.readTree(result.toFile());
        Tally t = tally(r);
        int ok = t.ok();
        int entries = t.entries();
        int lost = n - ok;
        int duplicated = entries - t.indexes();
        long duplicatesDropped = coordinator.countInLog("duplicate: task");
        System.out.printf("chaos: attempted=%d acknowledged=%d completed=%d lost=%d duplicated=%d "
                + "(duplicate replies dropped by the coordinator: %d)%nfaults: %s%n",
                n, coordinator.countInLog("Job chaos published") > 0 ? n : 0, ok, lost, duplicated, duplicatesDropped, faults);

        assertThat(faults).as("every fault was injected").hasSize(5);
        assertThat(coordinator.starts()).isEqualTo(2);
        assertThat(r.get("status").asText()).isEqualTo("completed");
        assertThat(lost).isZero();
        assertThat(duplicated).isZero();
        assertThat(entries).isEqualTo(n);
    }

    /**
     * One task per request message, so the workers' replies travel in reply batches (docs/WIRE.md):
     * a worker killed with batches awaiting their confirm has every request of them redelivered,
     * and each task is still recorded exactly once.
     */
    @Test
    void replyBatchesInFlightSurviveWorkerKills() throws Exception {
        String prefix = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> common = base(prefix, 20);
        common.put("taskfarm.progress.interval-ms", "200");
        FarmProcess coordinator = startFarm(common, 2, 8, 4);
        List<FarmProcess> workers = processes.subList(1, 3);
        int n = 60_000;
        ObjectNode job = Jobs.shaJob("sha256", n, 1);
        job.put("chunkSize", 1);
        submit("batches", job);

        List<String> faults = new ArrayList<>();
        Path result = dir.resolve("coordinator/outbox/batches.result.json");
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            long done = done(coordinator, "batches");
            if (faults.isEmpty() && done >= 10_000) {
                workers.get(0).kill();
                faults.add("SIGKILL worker-0 at " + done + " done");
            } else if (faults.size() == 1 && done >= 30_000) {
                workers.get(1).kill();
                faults.add("SIGKILL worker-1 at " + done + " done");
            }
            for (FarmProcess w : workers) {
                w.restartIfDead();
            }
            return Files.exists(result);
        });

        JsonNode r = MAPPER.readTree(result.toFile());
        Tally t = tally(r);
        System.out.printf("reply batches: attempted=%d completed=%d lost=%d duplicated=%d (duplicate replies dropped"
                + " by the coordinator: %d)%nfaults: %s%n", n, t.ok(), n - t.ok(), t.entries() - t.indexes(),
                coordinator.countInLog("duplicate: task"), faults);
        assertThat(faults).as("every fault was injected").hasSize(2);
        assertThat(r.get("status").asText()).isEqualTo("completed");
        assertThat(t.ok()).isEqualTo(n);
        assertThat(t.entries()).isEqualTo(n);
        assertThat(t.indexes()).isEqualTo(n);
    }

    @Test
    void poisonTasksOfEveryKindFailOnlyThemselves() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        String prefix = "poison-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> common = base(prefix, 2);
        common.put("taskfarm.task.timeout", "PT3S");
        common.put("taskfarm.retry.delay-ms", "10");
        // the held count stays at the lookahead (0) instead of following the tasks' time: a worker
        // that held tiny tasks beside the halting one spent a delivery of each of them on every crash,
        // and once one of them (501, next to 500) was dead-lettered with it (a CI run, 2026-12-04)
        common.put("taskfarm.worker.hold-time", "PT0S");

        // one task in flight per JVM: a crash returns only the task that caused it
        FarmProcess coordinator = startFarm(common, 3, 1, 0);
        List<FarmProcess> workers = processes.subList(1, 4);

        ObjectNode job = Jobs.shaJob("poison", 1000, 1);
        ((ObjectNode) job.get("tasks").get(100)).put("poison", "throw");
        ((ObjectNode) job.get("tasks").get(500)).put("poison", "halt");
        ((ObjectNode) job.get("tasks").get(900)).put("poison", "hang");
        submit("poison", job);

        Path result = dir.resolve("coordinator/outbox/poison.result.json");
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (FarmProcess w : workers) {
                w.restartIfDead();
            }
            return Files.exists(result);
        });

        JsonNode r = MAPPER.readTree(result.toFile());
        List<Integer> failed = new ArrayList<>();
        r.get("results").forEach(e -> {
            if (!"ok".equals(e.get("status").asText())) {
                failed.add(e.get("index").asInt());
            }
        });
        int restarts = workers.stream().mapToInt(FarmProcess::starts).sum() - workers.size();
        System.out.printf("poison: status=%s failed=%s worker restarts=%d%n  100: %s%n  500: %s%n  900: %s%n",
                r.get("status").asText(), failed, restarts, r.at("/results/100/error").asText(),
                r.at("/results/500/error").asText(), r.at("/results/900/error").asText());
        assertThat(r.get("status").asText()).isEqualTo("partial");
        assertThat(failed).containsExactly(100, 500, 900);
        assertThat(r.at("/results/100/error").asText()).contains("task task-100 was told to throw");
        assertThat(r.at("/results/500/error").asText()).contains("dead-lettered by the broker (delivery_limit");
        assertThat(r.at("/results/900/error").asText()).contains("longer than the task timeout");
        assertThat(restarts).as("the halt task killed workers until the delivery limit stopped it").isGreaterThanOrEqualTo(2);
    }
}
