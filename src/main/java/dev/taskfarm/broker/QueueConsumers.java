package dev.taskfarm.broker;

import java.util.function.IntSupplier;

import com.rabbitmq.client.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * The consumers on a queue right now (a passive declare reports them): for the requests queue,
 * the worker slots that can run a task at once. When none is there yet (workers not started) or
 * the broker cannot say, the fallback.
 */
public class QueueConsumers implements IntSupplier {

    private static final Logger LOG = LoggerFactory.getLogger(QueueConsumers.class);

    private final CachingConnectionFactory connectionFactory;
    private final String queue;
    private final int fallback;
    private volatile int last;
    private volatile long countedAt;

    public QueueConsumers(CachingConnectionFactory connectionFactory, String queue, int fallback) {
        this.connectionFactory = connectionFactory;
        this.queue = queue;
        this.fallback = Math.max(1, fallback);
    }

    /** Counted at most once a second: a job's intake (a single-task job's too) pays no broker round trip for it. */
    @Override
    public int getAsInt() {
        long now = System.nanoTime();
        if (countedAt != 0 && now - countedAt < 1_000_000_000L) {
            return last;
        }
        int count = fallback;
        try (Channel ch = connectionFactory.createConnection().createChannel(false)) {
            int consumers = ch.queueDeclarePassive(queue).getConsumerCount();
            count = consumers > 0 ? consumers : fallback;
        } catch (Exception e) {
            LOG.debug("Cannot count the consumers of {}: {}", queue, e.getMessage());
        }
        last = count;
        countedAt = now;
        return count;
    }
}
