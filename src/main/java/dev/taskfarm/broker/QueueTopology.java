package dev.taskfarm.broker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;



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

    /**
     * Declares the three queues with the admin (which declares them again on every new
     * connection, so a queue lost with a broker's data comes back).
     */
    public void declare(RabbitAdmin admin, CachingConnectionFactory cf) {
        boolean rabbit = "RabbitMQ".equals(String.valueOf(
                cf.createConnection().getDelegate().getServerProperties().get("product")));
        try {
            admin.declareQueue(rabbit ? QueueBuilder.durable(deadLetters).quorum().build()
                    : QueueBuilder.durable(deadLetters).build());
            admin.declareQueue(rabbit
                    ? QueueBuilder.durable(requests).quorum().deliveryLimit(deliveryLimit)
                            .deadLetterExchange("").deadLetterRoutingKey(deadLetters).build()
                    : QueueBuilder.durable(requests).withArgument("x-qpid-maximum-delivery-count", deliveryLimit)
                            .withArgument("alternate-exchange", deadLetters).build());
            admin.declareQueue(rabbit ? QueueBuilder.durable(replies).quorum().singleActiveConsumer().build()
                    : QueueBuilder.durable(replies).build());
        } catch (AmqpException e) {
            throw new IllegalStateException("Cannot declare the taskfarm queues (" + requests + ", " + replies + ", "
                    + deadLetters + "): " + rootMessage(e) + ". If a queue exists with other arguments, delete it or "
                    + "align the taskfarm.queue.* settings with it.", e);
        }
        LOG.info("Queues ready on {}: {} (delivery limit {}), {}, dead letters {}", rabbit ? "RabbitMQ" : "the broker",
                requests, deliveryLimit, replies, deadLetters);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
