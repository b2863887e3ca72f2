package dev.taskfarm.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.FarmProcess;
import dev.taskfarm.support.ResultCount;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestDatabases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two coordinators, active-active on one PostgreSQL ledger, with two workers on RabbitMQ. A job is
 * submitted through the REST API of one; that coordinator (the job's owner) is killed with SIGKILL
 * while it publishes the job's tasks, so the spooled body is gone with it. The other coordinator
 * takes the job over when its lease expires, publishes the missing tasks from the kept input (a
 * directory the coordinators share) and completes the job exactly once.
 */
class TwoCoordinatorsIT {

    static final int TASKS = 3000;

    final List<FarmProcess> processes = new ArrayList<>();
    final List<String> queues = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (FarmProcess p : processes) {
            p.stop();
        }
        try (Connection c = TestBroker.connectionFactory().newConnection(); Channel ch = c.createChannel()) {
            for (String q : queues) {
                ch.queueDelete(q);
            }
        }
    }

    @Test
    void theOtherCoordinatorTakesOverTheJobOfAKilledOneAndCompletesItExactlyOnce() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        Path dir = Files.createDirectories(Path.of("target", "chaos", "two-coordinators-"
                + UUID.randomUUID().toString().substring(0, 8))).toAbsolutePath();
        String prefix = "two-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> common = DurableChaosIT.onSharedRabbit(prefix, queues);

        Map<String, String> c = new HashMap<>(common);
        c.put("taskfarm.role", "coordinator");
        c.put("taskfarm.ledger.url", TestDatabases.freshSchemaUrl());
        c.put("taskfarm.ledger.username", TestDatabases.user());
        c.put("taskfarm.inbox", dir.resolve("inbox").toString());
        c.put("taskfarm.outbox", dir.resolve("outbox").toString());
        c.put("taskfarm.redrive.input-dir", dir.resolve("inputs").toString());
        c.put("taskfarm.lease.duration", "PT3S");
        c.put("taskfarm.redrive.interval-ms", "500");
        // one request at a time, so the owner is killed in the middle of publishing
        c.put("taskfarm.publish.confirm-window", "1");
        c.put("taskfarm.publish.batch-size", "1");
        Map<String, String> a = new HashMap<>(c);
        int portA = DurableChaosIT.freePort();
        a.put("taskfarm.http.port", String.valueOf(portA));
        List<FarmProcess> coordinators = List.of(new FarmProcess("coordinator-a", dir.resolve("a"), a),
                new FarmProcess("coordinator-b", dir.resolve("b"), c));
        processes.addAll(coordinators);
        for (int i = 0; i < 2; i++) {
            Map<String, String> w = new HashMap<>(common);
            w.put("taskfarm.role", "worker");
            processes.add(new FarmProcess("worker-" + i, dir.resolve("worker-" + i), w));
        }
        for (FarmProcess p : processes) {
            p.start();
        }
        for (FarmProcess p : processes) {
            p.awaitStarted(Duration.ofSeconds(120));
        }
        // submitted through the REST API of coordinator A: its spooled body dies with it
        FarmProcess owner = coordinators.get(0);
        java.net.http.HttpClient.newHttpClient().sendAsync(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + portA + "/jobs?id=shared")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(DurableChaosIT.slowJob(TASKS, 2).toString())).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> owner.countInLog("Job shared accepted") > 0);
        boolean publishedBeforeKill;
        long queued;
        // publishing one request per confirm takes seconds: the owner dies in the middle of it
        owner.kill();
        try (Connection conn = TestBroker.connectionFactory().newConnection(); Channel ch = conn.createChannel()) {
            queued = ch.messageCount(prefix + ".requests.poison");
        }
        publishedBeforeKill = owner.countInLog("Job shared published") > 0;
        FarmProcess survivor = coordinators.get(1);

        Path result = dir.resolve("outbox/shared.result.json");
        long start = System.nanoTime();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        ResultCount count = ResultCount.of(result, TASKS, 1);
        System.out.printf("two-coordinators: owner %s SIGKILLed %s publishing (%d requests queued): %s; kill to completion"
                + " %.1f s; duplicate replies dropped %d; survivor took over %d, re-drives %d%n", owner.log().getFileName(),
                publishedBeforeKill ? "after" : "while", queued, count, (System.nanoTime() - start) / 1e9,
                survivor.countInLog("duplicate: task"), survivor.countInLog("taken over"), survivor.countInLog("re-driven"));
        assertThat(count.status()).isEqualTo("completed");
        assertThat(count.recorded()).isEqualTo(TASKS);
        assertThat(count.lost()).isZero();
        assertThat(count.duplicated()).isZero();
        assertThat(publishedBeforeKill).as("killed while publishing").isFalse();
        assertThat(survivor.countInLog("Job shared taken over")).isEqualTo(1);
    }
}
