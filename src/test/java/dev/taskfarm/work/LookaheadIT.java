package dev.taskfarm.work;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.Rabbitmqctl;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker's lookahead is bounded by time, not by a count (taskfarm.worker.hold-time), on the real
 * RabbitMQ: tiny tasks one per message raise the prefetch the broker applies to the worker's
 * consumer far above slots + lookahead (the broker's round trips hidden), long tasks bring it down
 * to slots + 1 (a long task's job holds no more than it runs), a queue idle for a second goes back
 * to slots + lookahead, and every task of both jobs is
 * recorded exactly once, so the re-consuming in between lost and repeated nothing. Read from the
 * broker with {@code rabbitmqctl list_consumers}.
 */
class LookaheadIT {

    static final int SLOTS = 2;
    static final int START = 8;
    TestFarm farm;

    @Test
    void theHeldCountFollowsTheTimePerRequest() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.worker.slots", String.valueOf(SLOTS))
                .with("taskfarm.worker.lookahead", String.valueOf(START))
                .with("taskfarm.worker.hold-time", "PT0.02S")
                .with("taskfarm.worker.max-lookahead", "256")
                .start();
        String sha = farm.requestsQueue("sha256");
        String flaky = farm.requestsQueue("flaky");
        assertThat(Rabbitmqctl.prefetches(sha)).as("starts at slots + lookahead").containsExactly(SLOTS + START);

        ObjectNode tiny = Jobs.shaJob("sha256", 20_000, 1);
        tiny.put("chunkSize", 1);
        farm.submit("tiny.json", tiny.toString());
        // (read once per poll: while it re-consumes, the queue has no consumer for a moment)
        AtomicInteger grown = new AtomicInteger();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> grown(Rabbitmqctl.prefetches(sha), grown));
        JsonNode tinyResult = farm.awaitResult("tiny", Duration.ofMinutes(3));
        Jobs.assertCompleteWithEveryIndexOnce(tinyResult, 20_000, 1);
        // idle for a second: back to where it started, before the next job's time is known
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> Rabbitmqctl.prefetches(sha).equals(List.of(SLOTS + START)));

        ObjectNode slow = Jobs.shaJob("flaky", 30, 1);
        slow.put("chunkSize", 1);
        slow.get("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 400));
        farm.submit("slow.json", slow.toString());
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> Rabbitmqctl.prefetches(flaky).equals(List.of(SLOTS + 1)));
        JsonNode slowResult = farm.awaitResult("slow", Duration.ofMinutes(3));
        Jobs.assertCompleteWithEveryIndexOnce(slowResult, 30, 1);
        System.out.printf("LookaheadIT: prefetch %d (sha256 during 20000 tiny tasks), %s once idle, %s (flaky, 400 ms"
                + " tasks)%n", grown.get(), Rabbitmqctl.prefetches(sha), Rabbitmqctl.prefetches(flaky));
    }

    /** One consumer, holding at least 8x what it started with (kept in {@code seen}). */
    private static boolean grown(List<Integer> prefetches, AtomicInteger seen) {
        if (prefetches.size() == 1 && prefetches.get(0) >= SLOTS + 8 * START) {
            seen.set(prefetches.get(0));
            return true;
        }
        return false;
    }

    @AfterEach
    void stop() throws Exception {
        if (farm != null) {
            farm.close();
        }
    }
}
