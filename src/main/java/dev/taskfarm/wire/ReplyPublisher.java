package dev.taskfarm.wire;

import java.io.IOException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.broker.ConfirmWindow;

/**
 * Publishes a worker's replies with asynchronous publisher confirms and acknowledges each request
 * when (and only when) the broker has confirmed its reply: the ack rule of the wire contract,
 * without a consumer thread blocking on every confirm. The worker route consumes with manual
 * acknowledgement; the consumer returns as soon as the reply is published and takes the next
 * request, so one consumer keeps up to its prefetch of replies in flight.
 *
 * <p>A reply the broker rejects, or that cannot be published, requeues its request
 * ({@code basic.nack requeue=true}); the queue's delivery limit still bounds the retries.
 */
public class ReplyPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyPublisher.class);

    private static final String SETTLED = "TaskfarmRequestSettled";

    private final ConnectionFactory rabbit;
    private final int window;
    private final long confirmTimeoutMs;
    private Connection connection;
    private ConfirmWindow confirms;

    public ReplyPublisher(ConnectionFactory rabbit, int window, long confirmTimeoutMs) {
        this.rabbit = rabbit;
        this.window = window;
        this.confirmTimeoutMs = confirmTimeoutMs;
    }

    /** Publishes the reply prepared by {@link ReplyMessages}; the request is acked on its confirm. */
    public void publish(Exchange exchange) throws Exception {
        Message m = exchange.getMessage();
        Channel consumer = exchange.getProperty(AmqpHeaders.CHANNEL, Channel.class);
        Long tag = m.getHeader(AmqpHeaders.DELIVERY_TAG, Long.class);
        String replyTo = m.getHeader(AmqpHeaders.ROUTING_KEY, String.class);
        try {
            synchronized (this) {
                window().publish("", replyTo, AmqpProperties.of(m), m.getBody(byte[].class),
                        ok -> settle(consumer, tag, ok), confirmTimeoutMs);
            }
        } catch (Exception e) {
            exchange.setProperty(SETTLED, true);
            settle(consumer, tag, false);
            throw e;
        }
    }

    /** A request that needs no reply (its job was cancelled): acknowledge it now. */
    public void skip(Exchange exchange) {
        exchange.setProperty(SETTLED, true);
        settle(exchange.getProperty(AmqpHeaders.CHANNEL, Channel.class),
                exchange.getMessage().getHeader(AmqpHeaders.DELIVERY_TAG, Long.class), true);
    }

    /** The request in this exchange could not be answered: requeue it. */
    public void requeue(Exchange exchange) {
        if (exchange.getProperty(SETTLED, false, Boolean.class)) {
            return;
        }
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        LOG.warn("Task {} requeued: {}", exchange.getMessage().getHeader(AmqpHeaders.CORRELATION_ID),
                e == null ? "unknown error" : e.toString());
        settle(exchange.getProperty(AmqpHeaders.CHANNEL, Channel.class),
                exchange.getMessage().getHeader(AmqpHeaders.DELIVERY_TAG, Long.class), false);
    }

    private static void settle(Channel consumer, Long tag, boolean confirmed) {
        if (consumer == null || tag == null) {
            return;
        }
        try {
            if (confirmed) {
                consumer.basicAck(tag, false);
            } else {
                consumer.basicNack(tag, false, true);
            }
        } catch (IOException | RuntimeException e) {
            // the consumer channel is gone: the broker redelivers the request anyway
            LOG.debug("Cannot settle request {}: {}", tag, e.getMessage());
        }
    }

    private ConfirmWindow window() throws Exception {
        if (confirms == null || !confirms.channel().isOpen()) {
            if (confirms != null) {
                confirms.failAll(); // their requests are requeued
            }
            if (connection == null || !connection.isOpen()) {
                connection = rabbit.newConnection("taskfarm-replies");
            }
            confirms = new ConfirmWindow(connection.createChannel(), window);
        }
        return confirms;
    }

    @Override
    public synchronized void close() throws IOException {
        if (connection != null && connection.isOpen()) {
            connection.close();
        }
    }
}
