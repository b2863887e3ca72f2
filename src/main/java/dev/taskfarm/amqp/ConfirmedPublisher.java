package dev.taskfarm.amqp;

import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Return;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ChannelProxy;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.connection.PendingConfirm;
import org.springframework.amqp.rabbit.connection.PublisherCallbackChannel;

/**
 * Publishes on one channel of the process's connection factory with Spring AMQP's correlated
 * publisher confirms ({@link PublisherCallbackChannel}): every publish carries a
 * {@link CorrelationData} that the channel settles when the broker confirms or rejects it, or
 * rejects when the channel closes before the confirm came. At most {@code window} publishes await
 * their confirm. The channel is held, not taken from the cache per message (a confirm channel
 * stays out of the cache until its confirms arrive, which at thousands of replies a second means
 * opening channels all the time); a closed channel is replaced at the next publish.
 */
final class ConfirmedPublisher implements PublisherCallbackChannel.Listener, Settlement.Publisher {

    /**
     * The broker's answer for one publish goes to its {@link Settlement}: its exchange's
     * {@link Outcome}, or a {@link Coalescer}'s batch. Its id is empty:
     * CorrelationData's default id is a random UUID (a SecureRandom draw under a shared lock per
     * message, 1.6% of a worker's CPU per tiny task), and a non-empty id also enters the channel's
     * map of pending returns, which only mandatory publishes use (docs/BENCHMARKS.md, round 3
     * per-message profile).
     */
    static final class Correlation extends CorrelationData {
        final Settlement outcome;

        Correlation(Settlement outcome) {
            super("");
            this.outcome = outcome;
        }
    }

    private final CachingConnectionFactory connectionFactory;
    private final Semaphore window;
    private final long timeoutMs;
    private final String uuid = UUID.randomUUID().toString();
    private Channel proxy;
    private PublisherCallbackChannel channel;

    ConfirmedPublisher(CachingConnectionFactory connectionFactory, int window, long timeoutMs) {
        this.connectionFactory = connectionFactory;
        this.window = new Semaphore(window);
        this.timeoutMs = timeoutMs;
    }

    /** Publishes on the default exchange once a slot of the window is free; the outcome hears the confirm. */
    @Override
    public void publish(String routingKey, AMQP.BasicProperties properties, byte[] body, Settlement outcome) throws Exception {
        if (!window.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("no publisher confirm from the broker within " + timeoutMs + " ms");
        }
        synchronized (this) {
            PublisherCallbackChannel ch;
            try {
                ch = channel();
                // refused ("Listener not registered") by a channel whose shutdown has just settled
                // its confirms: the publish is not pending, so its window slot is free again
                ch.addPendingConfirm(this, ch.getNextPublishSeqNo(),
                        new PendingConfirm(new Correlation(outcome), System.currentTimeMillis()));
            } catch (Exception e) {
                window.release();
                drop();
                throw e;
            }
            try {
                ch.basicPublish("", routingKey, false, properties, body);
            } catch (Exception e) {
                // closing the channel rejects what awaits a confirm on it, this publish included
                drop();
                throw e;
            }
        }
    }

    private PublisherCallbackChannel channel() {
        if (channel == null || !channel.isOpen()) {
            drop();
            proxy = connectionFactory.createConnection().createChannel(false);
            Channel target = ((ChannelProxy) proxy).getTargetChannel();
            if (!(target instanceof PublisherCallbackChannel pcc)) {
                throw new IllegalStateException("the connection factory must use correlated publisher confirms");
            }
            pcc.addListener(this);
            channel = pcc;
        }
        return channel;
    }

    /** Closes the channel; whatever still awaits a confirm on it is settled as rejected. */
    synchronized void drop() {
        if (channel != null) {
            try {
                channel.close();
            } catch (Exception e) {
                // already closed with its connection
            }
        }
        if (proxy != null) {
            try {
                proxy.close();
            } catch (Exception e) {
                // already closed with its connection
            }
        }
        channel = null;
        proxy = null;
    }

    @Override
    public void handleConfirm(PendingConfirm pendingConfirm, boolean ack) {
        window.release();
        if (pendingConfirm.getCorrelationData() instanceof Correlation c) {
            c.outcome.confirmed(ack, pendingConfirm.getCause());
        }
    }

    @Override
    public void handleReturn(Return returned) {
        // not mandatory: nothing is returned
    }

    @Override
    public void revoke(Channel revoked) {
        // the channel is closing: its pending confirms are settled as rejected by the channel
    }

    /**
     * Spring's {@code addPendingConfirm} formats its listener into an assertion message on every
     * publish: a constant saves the identity hash and hex formatting.
     */
    @Override
    public String toString() {
        return "ConfirmedPublisher";
    }

    @Override
    public String getUUID() {
        return uuid;
    }

    @Override
    public boolean isConfirmListener() {
        return true;
    }

    @Override
    public boolean isReturnListener() {
        return false;
    }
}
