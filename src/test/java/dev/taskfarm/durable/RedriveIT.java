package dev.taskfarm.durable;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ledger re-drives a job whose requests were lost: the requests queue is purged after the job
 * was published, and the job still completes with every index once, without user action.
 */
class RedriveIT {

    static final int TASKS = 300;

    @Test
    void aJobWhoseRequestsWerePurgedCompletesThroughTheRedrive() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        try (TestFarm coordinator = TestFarm.onTestBroker().with("taskfarm.role", "coordinator")
                .with("taskfarm.redrive.stall-after", "PT2S").with("taskfarm.redrive.interval-ms", "500").start()) {
            JobLedger ledger = coordinator.context().getRegistry().lookupByNameAndType("jobLedger", JobLedger.class);
            var dispatcher = coordinator.context().getRegistry().lookupByNameAndType("jobDispatcher",
                    dev.taskfarm.dispatch.Dispatcher.class);
            coordinator.submit("purged.json", Jobs.shaJob("sha256", TASKS, 1).toString());
            // no worker yet: the job's window is on the queue, the rest of it not sent
            try (Connection c = coordinator.amqpConnection(); Channel ch = c.createChannel()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> dispatcher.view("purged") != null
                        && dispatcher.view("purged").path("inFlight").asLong() > 0
                        && ch.messageCount(coordinator.requestsQueue()) == dispatcher.view("purged").path("inFlight").asLong());
                // the window's requests are lost: it never drains, so the job stalls and is rewound
                assertThat(ch.queuePurge(coordinator.requestsQueue()).getMessageCount()).isPositive();
            }
            assertThat(ledger.find("purged").published()).isFalse();

            try (TestFarm workers = coordinator.sibling().with("taskfarm.role", "worker").with("test.keep-queues", "true")
                    .start()) {
                JsonNode r = coordinator.awaitResult("purged", Duration.ofSeconds(120));
                Jobs.assertCompleteWithEveryIndexOnce(r, TASKS, 1);
            }
        }
    }
}
