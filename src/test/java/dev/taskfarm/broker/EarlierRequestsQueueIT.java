package dev.taskfarm.broker;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MessageProperties;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.LogCapture;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An upgrade from a version with one requests queue for every compute: the coordinator says at start
 * that the old queue still holds requests nothing consumes any more, and how to get rid of it.
 */
class EarlierRequestsQueueIT {

    @Test
    void aCoordinatorWarnsAboutRequestsLeftOnTheQueueOfAnEarlierVersion() throws Exception {
        assertThat(TestBroker.isRabbit()).as("this test needs RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        String requests = "upgrade-" + UUID.randomUUID().toString().substring(0, 8) + ".requests";
        ConnectionFactory cf = TestBroker.connectionFactory();
        try (Connection c = cf.newConnection(); Channel ch = c.createChannel()) {
            // what the earlier version declared and left behind: a durable quorum queue with requests
            ch.queueDeclare(requests, true, false, false, Map.of("x-queue-type", "quorum"));
            ch.confirmSelect();
            for (int i = 0; i < 3; i++) {
                ch.basicPublish("", requests, MessageProperties.PERSISTENT_BASIC,
                        ("{\"seed\":\"old-" + i + "\",\"rounds\":1}").getBytes(StandardCharsets.UTF_8));
            }
            ch.waitForConfirmsOrDie(10_000);
            try (LogCapture log = LogCapture.open();
                 TestFarm farm = TestFarm.onTestBroker().with("taskfarm.queue.requests", requests).start()) {
                assertThat(log.mentioning("of an earlier taskfarm version")).hasSize(1);
                assertThat(log.mentioning("of an earlier taskfarm version").get(0).text())
                        .contains("Queue " + requests + " holds 3 requests")
                        .contains("rabbitmqctl delete_queue " + requests);
                // the farm itself uses its compute's queue, not the old one
                assertThat(farm.requestsQueue()).isEqualTo(requests + ".sha256");
            } finally {
                ch.queueDelete(requests);
            }
        }
    }
}
