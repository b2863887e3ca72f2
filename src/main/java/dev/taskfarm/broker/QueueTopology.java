package dev.taskfarm.broker;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * Declares taskfarm's queues, explicitly and idempotently, never through a consumer's auto-declare
 * (which would make transient queues). Requests go to one queue per compute,
 * {@code <requests>.<compute>} on the default exchange (docs/WIRE.md, "Task queues"); each has a
 * delivery limit and dead-letters to the dead-letter queue. The coordinator declares a compute's
 * queue before it publishes a job for it, a worker the queues of the computes it serves when it
 * starts: both with {@link #computeQueue(String)}'s arguments. On RabbitMQ they are durable quorum
 * queues; replies has a single active consumer so several coordinators can stand by without
 * splitting a job's replies. On other AMQP 0-9-1 brokers (the embedded Qpid) the same shape is
 * declared with that broker's arguments.
 */
public final class QueueTopology {

    private static final Logger LOG = LoggerFactory.getLogger(QueueTopology.class);

    /** A compute name that is safe in a queue name: letters, digits, '_' and '-', at most 100. */
    public static final Pattern COMPUTE_NAME = dev.taskfarm.compute.ComputeRegistry.VALID_NAME;

    private final String requests;
    private final String replies;
    private final String deadLetters;
    private final int deliveryLimit;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();
    private volatile Boolean rabbit;

    /**
     * @param requests      prefix of the compute queues ({@code taskfarm.queue.requests})
     * @param replies       replies queue name
     * @param deadLetters   dead-letter queue name
     * @param deliveryLimit deliveries of one request before it is dead-lettered
     */
    public QueueTopology(String requests, String replies, String deadLetters, int deliveryLimit) {
        this.requests = requests;
        this.replies = replies;
        this.deadLetters = deadLetters;
        this.deliveryLimit = deliveryLimit;
    }

    public String requests() {
        return requests;
    }

    public String replies() {
        return replies;
    }

    public String deadLetters() {
        return deadLetters;
    }

    public int deliveryLimit() {
        return deliveryLimit;
    }

    /** The requests queue of a compute: {@code <requests>.<compute>}. */
    public String requestsQueue(String compute) {
        return requests + "." + compute;
    }

    /**
     * Why a compute name cannot have a queue, or null when it can: it must match
     * {@link #COMPUTE_NAME}, and its queue must not be the replies or dead-letter queue.
     */
    public String refusal(String compute) {
        if (compute == null || !COMPUTE_NAME.matcher(compute).matches()) {
            return "a compute name is 1 to 100 letters, digits, '_' or '-', starting with a letter or digit, got \""
                    + compute + "\"";
        }
        String queue = requestsQueue(compute);
        if (queue.equals(deadLetters) || queue.equals(replies)) {
            return "compute name \"" + compute + "\" is reserved: its queue " + queue + " is taskfarm's "
                    + (queue.equals(deadLetters) ? "dead-letter" : "replies") + " queue";
        }
        return null;
    }

    /** The computes whose queues this process declared (published to, or consumes). */
    public Set<String> declaredComputes() {
        return Set.copyOf(declared);
    }

    /**
     * Declares the replies and dead-letter queues with the admin (which declares them again on
     * every new connection, so a queue lost with a broker's data comes back).
     */
    public void declare(RabbitAdmin admin, CachingConnectionFactory cf) {
        boolean onRabbit = isRabbit(cf);
        try {
            admin.declareQueue(onRabbit ? QueueBuilder.durable(deadLetters).quorum().build()
                    : QueueBuilder.durable(deadLetters).build());
            admin.declareQueue(onRabbit ? QueueBuilder.durable(replies).quorum().singleActiveConsumer().build()
                    : QueueBuilder.durable(replies).build());
        } catch (AmqpException e) {
            throw new IllegalStateException("Cannot declare the taskfarm queues (" + replies + ", " + deadLetters + "): "
                    + rootMessage(e) + ". If a queue exists with other arguments, delete it or "
                    + "align the taskfarm.queue.* settings with it.", e);
        }
        for (String compute : declared) {
            admin.declareQueue(computeQueue(compute, onRabbit));
        }
        LOG.info("Queues ready on {}: {}, dead letters {}; requests on {}.<compute> (delivery limit {})",
                onRabbit ? "RabbitMQ" : "the broker", replies, deadLetters, requests, deliveryLimit);
    }

    /**
     * Declares a compute's requests queue once per process (idempotent on the broker; the admin
     * declares it again on every new connection) and returns its name.
     */
    public String declareCompute(RabbitAdmin admin, CachingConnectionFactory cf, String compute) {
        String queue = requestsQueue(compute);
        if (declared.contains(compute)) {
            return queue;
        }
        String refused = refusal(compute);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        try {
            admin.declareQueue(computeQueue(compute, isRabbit(cf)));
        } catch (AmqpException e) {
            throw new IllegalStateException("Cannot declare the requests queue " + queue + ": " + rootMessage(e)
                    + ". If it exists with other arguments (docs/WIRE.md, \"Task queues\"), delete it.", e);
        }
        declared.add(compute);
        return queue;
    }

    /** A compute's requests queue with its arguments (docs/WIRE.md): delivery limit, dead letters. */
    Queue computeQueue(String compute, boolean onRabbit) {
        String queue = requestsQueue(compute);
        return onRabbit
                ? QueueBuilder.durable(queue).quorum().deliveryLimit(deliveryLimit).deadLetterExchange("")
                        .deadLetterRoutingKey(deadLetters).build()
                : QueueBuilder.durable(queue).withArgument("x-qpid-maximum-delivery-count", deliveryLimit)
                        .withArgument("alternate-exchange", deadLetters).build();
    }

    private boolean isRabbit(CachingConnectionFactory cf) {
        Boolean r = rabbit;
        if (r == null) {
            r = "RabbitMQ".equals(String.valueOf(cf.createConnection().getDelegate().getServerProperties().get("product")));
            rabbit = r;
        }
        return r;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
