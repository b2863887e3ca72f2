package dev.taskfarm.durable;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Test;

import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The replies queue is deleted under a running job (an operator's mistake, a policy): the replies
 * published meanwhile are dropped by the broker as unroutable, and their requests acknowledged. The
 * job still completes with every index once: the queue comes back and the missing tasks are
 * published again from the ledger.
 */
class RepliesQueueDeletedIT {

    static final int TASKS = 200;

    @Test
    void aJobCompletesWhenItsRepliesQueueIsDeletedMidway() throws Exception {
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
                ch.queueDelete(farm.repliesQueue());
            }

            JsonNode r = farm.awaitResult("orphaned", Duration.ofSeconds(120));
            assertThat(r.get("status").asText()).isEqualTo("completed");
            assertThat(r.get("results")).hasSize(TASKS);
            for (int i = 0; i < TASKS; i++) {
                assertThat(r.at("/results/" + i + "/index").asInt()).isEqualTo(i);
                assertThat(r.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 1));
            }
        }
    }
}
