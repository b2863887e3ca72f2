package dev.taskfarm.bench;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;

/**
 * Publishes on one channel with asynchronous publisher confirms: up to {@code size} publishes are
 * in flight at once, and each one's callback runs when the broker confirms (true) or rejects
 * (false) it. {@link #awaitAll} waits until every publish so far is settled and fails if one was
 * rejected. Compared with waiting for each confirm in turn (Camel's InOnly producer), throughput
 * no longer depends on the broker's confirm latency.
 *
 * <p>Callbacks run on the connection's I/O thread: keep them short (an ack, a counter).
 * {@link #publish} must be called from one thread at a time.
 */
final class ConfirmWindow implements ConfirmListener {

    private final Channel channel;
    private final Semaphore permits;
    private final ConcurrentNavigableMap<Long, Consumer<Boolean>> outstanding = new ConcurrentSkipListMap<>();
    private volatile boolean nacked;

    /** Puts the channel in confirm mode; {@code size} publishes may await their confirm at once. */
    public ConfirmWindow(Channel channel, int size) throws IOException {
        this.channel = channel;
        this.permits = new Semaphore(Math.max(1, size));
        channel.confirmSelect();
        channel.addConfirmListener(this);
        // no confirm will come for what is outstanding when the channel goes
        channel.addShutdownListener(cause -> failAll());
    }

    public Channel channel() {
        return channel;
    }

    /**
     * Publishes once a slot in the window is free; {@code onSettled} (may be null) gets true when
     * the broker confirmed the message, false when it rejected it.
     */
    public void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            Consumer<Boolean> onSettled, long timeoutMs) throws IOException, InterruptedException, TimeoutException {
        if (!permits.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("no publisher confirm from the broker within " + timeoutMs + " ms");
        }
        long seq = channel.getNextPublishSeqNo();
        outstanding.put(seq, onSettled == null ? ok -> { } : onSettled);
        try {
            channel.basicPublish(exchange, routingKey, props, body);
        } catch (IOException | RuntimeException e) {
            outstanding.remove(seq);
            permits.release();
            throw e;
        }
    }

    /** Waits until every publish so far is confirmed; fails if the broker rejected any. */
    public void awaitAll(long timeoutMs) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (this) {
            while (!outstanding.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || !channel.isOpen()) {
                    throw new TimeoutException(outstanding.size() + " publishes not confirmed by the broker"
                            + (channel.isOpen() ? " within " + timeoutMs + " ms" : ": the channel closed ("
                            + channel.getCloseReason() + ")"));
                }
                wait(Math.min(left, 100));
            }
        }
        if (nacked) {
            throw new IOException("the broker rejected (nacked) a publish");
        }
    }

    /** Settles every publish still waiting as rejected (its channel closed before the confirm). */
    public void failAll() {
        Long last = outstanding.isEmpty() ? null : outstanding.lastKey();
        if (last != null) {
            handleNack(last, true);
        }
    }

    /** Publishes still waiting for their confirm. */
    public int inFlight() {
        return outstanding.size();
    }

    @Override
    public void handleAck(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, true);
    }

    @Override
    public void handleNack(long deliveryTag, boolean multiple) {
        nacked = true;
        settle(deliveryTag, multiple, false);
    }

    private void settle(long seq, boolean multiple, boolean ok) {
        int n = 0;
        if (multiple) {
            var head = outstanding.headMap(seq, true);
            for (Map.Entry<Long, Consumer<Boolean>> e : head.entrySet()) {
                if (head.remove(e.getKey()) != null) {
                    e.getValue().accept(ok);
                    n++;
                }
            }
        } else {
            Consumer<Boolean> c = outstanding.remove(seq);
            if (c != null) {
                c.accept(ok);
                n++;
            }
        }
        permits.release(n);
        if (outstanding.isEmpty()) {
            synchronized (this) {
                notifyAll();
            }
        }
    }
}
