package dev.taskfarm.work;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;

/**
 * RabbitMQ closes a consumer's channel when a delivery stays unacknowledged longer than its
 * {@code consumer_timeout} (30 minutes by default); the request goes back to the queue and runs
 * again, and a task that always takes longer loops through redeliveries until the delivery limit
 * dead-letters it. A worker answers every request by its task's hard limit (timeout + kill-after),
 * so that limit must stay below the broker's consumer timeout. The broker's value cannot be read
 * over AMQP: {@code taskfarm.rabbitmq.consumer-timeout} says what it is, and a worker checks it at
 * start and warns when a task could outlive it.
 */
public final class ConsumerTimeoutCheck {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerTimeoutCheck.class);

    private ConsumerTimeoutCheck() {
    }

    /** The warning for this broker product and these limits, if any (Qpid has no consumer timeout). */
    static Optional<String> warning(String product, String version, Duration hardLimit, Duration consumerTimeout) {
        if (!"RabbitMQ".equalsIgnoreCase(product) || consumerTimeout.isZero() || hardLimit.compareTo(consumerTimeout) < 0) {
            return Optional.empty();
        }
        return Optional.of("A task may run " + hardLimit + " (taskfarm.task.timeout + taskfarm.task.kill-after), not less"
                + " than RabbitMQ's consumer timeout of " + consumerTimeout + " (taskfarm.rabbitmq.consumer-timeout): the"
                + " broker " + version + " would close the worker's channel and redeliver such a task again and again."
                + " Raise consumer_timeout in rabbitmq.conf (or, from RabbitMQ 3.12, a policy with \"consumer-timeout\" on"
                + " the requests queue) above the hard limit and set taskfarm.rabbitmq.consumer-timeout to it, or lower"
                + " taskfarm.task.timeout");
    }

    /** Logs the warning, if any, for the broker this factory connects to. */
    public static void check(ConnectionFactory connectionFactory, Duration hardLimit, Duration consumerTimeout) {
        Map<String, Object> server = connectionFactory.createConnection().getDelegate().getServerProperties();
        warning(String.valueOf(server.get("product")), String.valueOf(server.get("version")), hardLimit, consumerTimeout)
                .ifPresent(LOG::warn);
    }
}
