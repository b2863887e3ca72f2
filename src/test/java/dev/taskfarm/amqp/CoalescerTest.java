package dev.taskfarm.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reply endpoint's Nagle rule, without a broker: a message goes at once and alone when nothing
 * of its routing key awaits a confirm, the ones that come meanwhile wait for that confirm and then
 * go as one, a full batch goes at once, and every exchange completes (or fails) with the message
 * that carried it, never before.
 */
class CoalescerTest {

    /** Records each publish; the test settles them as the broker would. */
    static final class Recorder implements Settlement.Publisher {
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final List<Settlement> pending = new CopyOnWriteArrayList<>();

        @Override
        public void publish(String routingKey, AMQP.BasicProperties properties, byte[] body, Settlement settlement) {
            bodies.add(routingKey + "=" + new String(body, StandardCharsets.UTF_8));
            pending.add(settlement);
        }
    }

    /** Joins bodies with "+"; every message may travel with up to three others. */
    static final class Joiner implements MessageBatcher {
        @Override
        public int limit(AmqpMessage message) {
            return 4;
        }

        @Override
        public AmqpMessage combine(List<AmqpMessage> messages) {
            List<String> parts = new ArrayList<>();
            messages.forEach(m -> parts.add(new String(m.body(), StandardCharsets.UTF_8)));
            return new AmqpMessage(null, new AMQP.BasicProperties(), String.join("+", parts).getBytes(StandardCharsets.UTF_8));
        }
    }

    final CamelContext context = new DefaultCamelContext();
    final Recorder broker = new Recorder();
    final Coalescer coalescer = new Coalescer(broker, new Joiner(), Runnable::run);
    final List<String> done = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        context.stop();
    }

    private Exchange send(String body) {
        Exchange e = new DefaultExchange(context);
        Outcome outcome = new Outcome(e, sync -> done.add(body + (e.isFailed() ? " failed" : " ok")), Runnable::run, 1);
        coalescer.publish("replies", new AmqpMessage(null, new AMQP.BasicProperties.Builder().headers(Map.of()).build(),
                body.getBytes(StandardCharsets.UTF_8)), 4, outcome);
        return e;
    }

    @Test
    void anIdleProducerSendsAtOnceAndABusyOneOncePerConfirm() {
        send("a");
        assertThat(broker.bodies).as("nothing awaited a confirm: at once, alone").containsExactly("replies=a");
        send("b");
        send("c");
        assertThat(broker.bodies).as("held while a awaits its confirm").hasSize(1);
        assertThat(done).isEmpty();

        broker.pending.get(0).confirmed(true, null);

        assertThat(done).containsExactly("a ok");
        assertThat(broker.bodies).containsExactly("replies=a", "replies=b+c");
        broker.pending.get(1).confirmed(true, null);
        assertThat(done).containsExactly("a ok", "b ok", "c ok");
        send("d");
        assertThat(broker.bodies).as("idle again: at once").last().isEqualTo("replies=d");
    }

    @Test
    void aFullBatchGoesWithoutWaiting() {
        send("a");
        for (String s : new String[] {"b", "c", "d", "e"}) {
            send(s);
        }
        assertThat(broker.bodies).containsExactly("replies=a", "replies=b+c+d+e");
        assertThat(done).as("nothing confirmed yet").isEmpty();
    }

    @Test
    void aRejectedBatchFailsEveryExchangeItCarried() {
        send("a");
        send("b");
        send("c");
        broker.pending.get(0).confirmed(true, null);
        broker.pending.get(1).confirmed(false, "nack");
        assertThat(done).containsExactly("a ok", "b failed", "c failed");
        // settled twice (a publish that threw and a channel that closed): once only
        broker.pending.get(1).fail(new IllegalStateException("closed"));
        assertThat(done).hasSize(3);
    }
}
