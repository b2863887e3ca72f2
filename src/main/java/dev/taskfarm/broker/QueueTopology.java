package dev.taskfarm.broker;

import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares taskfarm's queues, explicitly and idempotently, before any route starts (never through
 * a consumer's auto-declare, which would make transient queues). On RabbitMQ they are durable
 * quorum queues: requests has a delivery limit and dead-letters to the dead-letter queue; replies
 * has a single active consumer so several coordinators can stand by without splitting a job's
 * replies. On other AMQP 0-9-1 brokers (the embedded Qpid) the same shape is declared with that
 * broker's arguments.
 *
 * @param requests     requests queue name
 * @param replies      replies queue name
 * @param deadLetters  dead-letter queue name
 * @param deliveryLimit deliveries of one request before it is dead-lettered
 */
public record QueueTopology(String requests, String replies, String deadLetters, int deliveryLimit) {

    private static final Logger LOG = LoggerFactory.getLogger(QueueTopology.class);

    public void declare(Connection connection) throws Exception {
        boolean rabbit = "RabbitMQ".equals(String.valueOf(connection.getServerProperties().get("product")));
        try (Channel ch = connection.createChannel()) {
            ch.queueDeclare(deadLetters, true, false, false, rabbit ? quorum() : Map.of());
            Map<String, Object> args = new HashMap<>();
            if (rabbit) {
                args.putAll(quorum());
                args.put("x-delivery-limit", deliveryLimit);
                args.put("x-dead-letter-exchange", "");
                args.put("x-dead-letter-routing-key", deadLetters);
            } else {
                args.put("x-qpid-maximum-delivery-count", deliveryLimit);
                args.put("alternate-exchange", deadLetters);
            }
            ch.queueDeclare(requests, true, false, false, args);
            Map<String, Object> replyArgs = new HashMap<>(rabbit ? quorum() : Map.of());
            if (rabbit) {
                replyArgs.put("x-single-active-consumer", true);
            }
            ch.queueDeclare(replies, true, false, false, replyArgs);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Cannot declare the taskfarm queues (" + requests + ", " + replies + ", "
                    + deadLetters + "): " + rootMessage(e) + ". If a queue exists with other arguments, delete it or "
                    + "align the taskfarm.queue.* settings with it.", e);
        }
        LOG.info("Queues ready on {}: {} (delivery limit {}), {}, dead letters {}", rabbit ? "RabbitMQ" : "the broker",
                requests, deliveryLimit, replies, deadLetters);
    }

    /**
     * Declares the control exchange (durable fanout) that carries broadcasts such as cancel to every
     * worker; each worker binds its own exclusive, server-named queue to it.
     */
    public static void declareControl(Connection connection, String exchange) throws java.io.IOException, java.util.concurrent.TimeoutException {
        try (Channel ch = connection.createChannel()) {
            ch.exchangeDeclare(exchange, "fanout", true);
        }
    }

    private static Map<String, Object> quorum() {
        return Map.of("x-queue-type", "quorum");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
