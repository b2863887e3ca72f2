package dev.taskfarm.durable;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A queue is deleted under a running job (an operator's mistake, a policy). The replies queue: the
 * replies published meanwhile are dropped by the broker as unroutable, and their requests
 * acknowledged. The compute's requests queue: its requests are gone, and the workers' consumer
 * waits for it. Either way the job still completes with every index once: the queue is declared
 * again and the missing tasks are published again from the ledger.
 */
class QueueDeletedIT {

    static final int TASKS = 200;

    @ParameterizedTest
    @ValueSource(strings = {"replies", "requests"})
    void aJobCompletesWhenAQueueIsDeletedMidway(String which) throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        ObjectNode job = Jobs.shaJob("poison", TASKS, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 20));
        try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.redrive.stall-after", "PT2S")
                .with("taskfarm.redrive.interval-ms", "500").start()) {
            JobProgress progress = farm.context().getRegistry().lookupByNameAndType("jobProgress", JobProgress.class);
            farm.submit("orphaned.json", job.put("id", "orphaned").toString());
            await().atMost(Duration.ofSeconds(60)).until(() -> progress.get("orphaned") != null
                    && progress.get("orphaned").done() >= TASKS / 5);
            try (Connection c = farm.amqpConnection(); Channel ch = c.createChannel()) {
                ch.queueDelete("replies".equals(which) ? farm.repliesQueue() : farm.requestsQueue("poison"));
            }

            JsonNode r = farm.awaitResult("orphaned", Duration.ofSeconds(120));
            Jobs.assertCompleteWithEveryIndexOnce(r, TASKS, 1);
        }
    }
}
