package dev.taskfarm.amqp;

import com.rabbitmq.client.AMQP;

/**
 * One outgoing AMQP message, prepared by a bean for a batch publish: a {@code taskfarm-amqp}
 * producer whose body is a {@code java.util.List} of these publishes each one and completes the
 * exchange once the broker confirmed them all.
 *
 * @param routingKey routing key on the default exchange (the queue); null = the endpoint's queue
 */
public record AmqpMessage(String routingKey, AMQP.BasicProperties properties, byte[] body) {
}
