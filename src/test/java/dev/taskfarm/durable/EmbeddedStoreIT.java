package dev.taskfarm.durable;

import java.time.Duration;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded broker keeps its queues across a restart: its messages are in a store under the
 * data directory, not in memory. A coordinator publishes a job with no worker running, stops, and
 * starts again on the same data directory: every request is still queued.
 */
class EmbeddedStoreIT {

    @Test
    void queuedRequestsSurviveARestartOfTheEmbeddedBroker() throws Exception {
        TestFarm first = TestFarm.onEmbeddedBroker().with("taskfarm.role", "coordinator").start();
        String data = first.property("taskfarm.data");
        long queued;
        try {
            first.submit("kept.json", Jobs.shaJob("sha256", 50, 1).toString());
            // no worker: the job's window is sent and stays on the queue
            var dispatcher = first.context().getRegistry().lookupByNameAndType("jobDispatcher",
                    dev.taskfarm.dispatch.Dispatcher.class);
            await().atMost(Duration.ofSeconds(60)).until(() -> dispatcher.view("kept") != null
                    && dispatcher.view("kept").path("inFlight").asLong() > 0
                    && depth(first) == dispatcher.view("kept").path("inFlight").asLong());
            queued = depth(first);
        } finally {
            first.close();
        }
        try (TestFarm second = first.sibling().with("taskfarm.embedded.port", "0").with("taskfarm.data", data)
                .with("taskfarm.role", "coordinator").with("taskfarm.redrive.enabled", "false").start()) {
            assertThat(depth(second)).as("requests still queued after the restart").isEqualTo(queued);
        }
    }

    static long depth(TestFarm farm) throws Exception {
        try (Connection c = farm.amqpConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(farm.requestsQueue()).getMessageCount();
        }
    }
}
