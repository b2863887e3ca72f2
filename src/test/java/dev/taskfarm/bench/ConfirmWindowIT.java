package dev.taskfarm.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Asynchronous publisher confirms against the real broker. */
class ConfirmWindowIT {

    @Test
    void everyPublishIsSettledOnceAndAClosedChannelFailsWhatIsOutstanding() throws Exception {
        Map<String, String> p = TestBroker.rabbitProperties();
        assertThat(p).as(TestBroker.description()).containsKey("taskfarm.rabbitmq.username");
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(p.getOrDefault("taskfarm.rabbitmq.host", "127.0.0.1"));
        f.setPort(Integer.parseInt(p.getOrDefault("taskfarm.rabbitmq.port", "5672")));
        f.setUsername(p.get("taskfarm.rabbitmq.username"));
        f.setPassword(p.get("taskfarm.rabbitmq.password"));
        String queue = "it-confirm-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = f.newConnection()) {
            Channel admin = c.createChannel();
            admin.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));
            try {
                ConfirmWindow window = new ConfirmWindow(c.createChannel(), 50);
                List<Boolean> settled = new CopyOnWriteArrayList<>();
                AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
                for (int i = 0; i < 500; i++) {
                    window.publish("", queue, persistent, ("m" + i).getBytes(), settled::add, 10_000);
                }
                window.awaitAll(10_000);
                assertThat(settled).hasSize(500).containsOnly(true);
                assertThat(window.inFlight()).isZero();
                assertThat(admin.messageCount(queue)).isEqualTo(500);

                // the broker closes the channel (404, no such exchange) with this publish unconfirmed
                ConfirmWindow doomed = new ConfirmWindow(c.createChannel(), 50);
                List<Boolean> failed = new CopyOnWriteArrayList<>();
                doomed.publish("no-such-exchange-" + queue, "x", persistent, "lost".getBytes(), failed::add, 10_000);
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !failed.isEmpty());
                assertThat(failed).containsExactly(false);
                assertThat(doomed.inFlight()).isZero();
                assertThatThrownBy(() -> doomed.publish("", queue, persistent, "late".getBytes(), failed::add, 1000))
                        .isInstanceOfAny(com.rabbitmq.client.AlreadyClosedException.class, java.io.IOException.class,
                                TimeoutException.class);
            } finally {
                admin.queueDelete(queue);
            }
        }
    }
}
