package dev.taskfarm.broker;

import java.util.List;

import com.rabbitmq.client.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.Connection;

import dev.taskfarm.metrics.FarmMetrics;

/**
 * Samples the depth of taskfarm's queues (a passive declare reports the ready messages) for the
 * {@code taskfarm_queue_depth_messages{queue}} gauge; the queue-depth route calls it on a timer.
 */
public class QueueMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(QueueMonitor.class);

    private final CachingConnectionFactory connectionFactory;
    private final List<String> queues;
    private final FarmMetrics metrics;
    private final java.util.Map<String, Sample> latest = new java.util.concurrent.ConcurrentHashMap<>();

    /** What one passive declare said about a queue: ready messages and consumers. */
    public record Sample(String queue, long ready, long consumers, long at) {
    }

    public QueueMonitor(CachingConnectionFactory connectionFactory, QueueTopology topology, FarmMetrics metrics) {
        this.connectionFactory = connectionFactory;
        this.queues = List.of(topology.requests(), topology.replies(), topology.deadLetters());
        this.metrics = metrics;
    }

    /** The last sample of each queue, requests first, then replies and dead letters (absent until sampled). */
    public List<Sample> latest() {
        return queues.stream().map(latest::get).filter(java.util.Objects::nonNull).toList();
    }

    public void sample() {
        Connection connection;
        try {
            connection = connectionFactory.createConnection();
        } catch (RuntimeException e) {
            // the broker is away: the readiness check says so, the gauges keep their last value
            LOG.debug("Cannot sample queue depths: {}", e.getMessage());
            return;
        }
        for (String queue : queues) {
            try (Channel ch = connection.createChannel(false)) {
                var ok = ch.queueDeclarePassive(queue);
                long depth = ok.getMessageCount();
                metrics.set("taskfarm.queue.depth.messages", "Ready messages in a taskfarm queue, as last seen",
                        "queue", queue, depth);
                metrics.set("taskfarm.queue.consumers", "Consumers of a taskfarm queue, as last seen",
                        "queue", queue, ok.getConsumerCount());
                latest.put(queue, new Sample(queue, depth, ok.getConsumerCount(), System.currentTimeMillis()));
            } catch (Exception e) {
                LOG.debug("Cannot read the depth of queue {}: {}", queue, e.getMessage());
            }
        }
    }
}
