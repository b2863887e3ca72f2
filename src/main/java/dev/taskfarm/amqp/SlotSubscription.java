package dev.taskfarm.amqp;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * One queue consumed into a worker's slots on RabbitMQ, with a lookahead bounded by time rather
 * than by a count: the requests held beyond the running ones are about {@code slots x holdTime /
 * time per request} (between 1 and {@code maxLookahead}), so a held request waits about
 * {@code holdTime} for a slot, whatever the task's length. The time per request is the slot time
 * the queue's requests took since the last look (or, while none completed, the time since the last
 * completion), looked at every {@link #TICK_MS} ms. A queue idle for {@link #IDLE_TICKS} ticks goes
 * back to its starting {@code lookahead}, so a job that follows a tiny-task job does not have its
 * first requests taken by the hundreds before their time is known.
 *
 * <p>RabbitMQ fixes a consumer's prefetch when it starts consuming, so a held count that should
 * change by a factor of two is applied by re-consuming on the same channel: {@code basic.cancel},
 * {@code basic.qos}, {@code basic.consume}. A cancelled consumer's unacknowledged deliveries stay
 * on the channel and are acknowledged there (delivery tags are per channel), so nothing is
 * requeued by a resize. What Spring's listener container did is done here: a channel lost with its
 * connection, closed by the broker, or a consumer cancelled by the broker (its queue deleted) is
 * subscribed again every {@link #RETRY_MS} ms until it works; deliveries of a lost channel are not
 * settled (the broker redelivers them, see {@link DeliverySettler}).
 */
final class SlotSubscription {

    static final long TICK_MS = 100;
    static final long RETRY_MS = 1000;
    /** Ticks without a delivery in process after which the held count goes back to its start. */
    static final int IDLE_TICKS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(SlotSubscription.class);

    /** What a delivery becomes: an exchange run on a slot, settled through the settler. */
    interface Deliveries {
        void deliver(SlotSubscription from, Envelope envelope, AMQP.BasicProperties properties, byte[] body,
                DeliverySettler settler);
    }

    private final String queue;
    private final CachingConnectionFactory connectionFactory;
    private final ScheduledExecutorService executor;
    private final Deliveries deliveries;
    private final int slots;
    private final int maxLookahead;
    private final long holdNanos;
    private final LongAdder completed = new LongAdder();
    private final LongAdder slotNanos = new LongAdder();
    private volatile long lastCompletion = System.nanoTime();
    // everything below is read and written on the executor's one thread only
    private long seenCompleted;
    private long seenNanos;
    private int lookahead;
    private final int initialLookahead;
    private int idleTicks;
    private boolean stopping;
    private boolean failing;
    private Channel channel;
    private Handler handler;

    SlotSubscription(String queue, CachingConnectionFactory connectionFactory, ScheduledExecutorService executor,
            Deliveries deliveries, int slots, int lookahead, int maxLookahead, long holdNanos) {
        this.queue = queue;
        this.connectionFactory = connectionFactory;
        this.executor = executor;
        this.deliveries = deliveries;
        this.slots = slots;
        this.maxLookahead = Math.max(1, maxLookahead);
        this.lookahead = Math.max(0, Math.min(this.maxLookahead, lookahead));
        this.initialLookahead = this.lookahead;
        this.holdNanos = holdNanos;
    }

    void start() {
        executor.execute(this::subscribe);
        if (holdNanos > 0) {
            executor.scheduleWithFixedDelay(this::look, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        }
    }

    String queue() {
        return queue;
    }

    /** A request of this queue held a slot from {@code start} to {@code end} (System.nanoTime). */
    void ran(long start, long end) {
        slotNanos.add(end - start);
        completed.increment();
        lastCompletion = end;
    }

    private int prefetch() {
        return slots + lookahead;
    }

    private void subscribe() {
        if (stopping || channel != null) {
            return;
        }
        Channel ch = null;
        try {
            ch = connectionFactory.createConnection().getDelegate().createChannel();
            if (ch == null) {
                throw new IOException("no channel left on the connection");
            }
            Channel opened = ch;
            // on the connection's thread: hand over, never wait there for the executor
            ch.addShutdownListener(cause -> later(() -> lost(opened, cause)));
            channel = ch;
            ch.basicQos(prefetch());
            handler = new Handler(ch, new DeliverySettler(ch, prefetch()));
            ch.basicConsume(queue, false, handler);
            if (failing) {
                LOG.info("Consuming {} again", queue);
            }
            failing = false;
        } catch (Exception e) {
            if (!failing) {
                LOG.warn("Cannot consume {} ({}); trying again every {} ms", queue, e.getMessage(), RETRY_MS);
            }
            failing = true;
            if (ch != null) {
                close(ch);
            }
            channel = null;
            retry();
        }
    }

    /** On the executor's thread, unless it is shut down (the consumer stopped: nothing left to do). */
    private void later(Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            LOG.debug("{}: consumer stopped, {} not run", queue, task);
        }
    }

    private void retry() {
        if (stopping) {
            return;
        }
        try {
            executor.schedule(this::subscribe, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            LOG.debug("{}: consumer stopped, not subscribing again", queue);
        }
    }

    /** The channel closed (connection lost, broker error, our own close after a cancel): subscribe anew. */
    private void lost(Channel ch, ShutdownSignalException cause) {
        if (ch != channel || stopping) {
            return;
        }
        channel = null;
        handler = null;
        LOG.warn("The channel consuming {} closed ({}); subscribing again", queue, cause.getMessage());
        retry();
    }

    /** Every tick: the held count the measured time per request asks for, applied when it moved by 2x. */
    private void look() {
        long done = completed.sum();
        long nanos = slotNanos.sum();
        long n = done - seenCompleted;
        long took = nanos - seenNanos;
        seenCompleted = done;
        seenNanos = nanos;
        if (channel == null || handler == null) {
            return;
        }
        double perRequest;
        if (n > 0) {
            perRequest = (double) took / n;
            idleTicks = 0;
        } else if (handler.settler.idle()) {
            // idle for a second: back to the start, so the next job's first requests are not
            // taken by the hundreds before their time is known
            if (++idleTicks == IDLE_TICKS && lookahead > initialLookahead) {
                resize(initialLookahead, 0);
            }
            return;
        } else {
            // nothing completed: evidence only once a request has run for a whole tick
            idleTicks = 0;
            long running = System.nanoTime() - Math.max(lastCompletion, handler.settler.busySince());
            if (running < TimeUnit.MILLISECONDS.toNanos(TICK_MS)) {
                return;
            }
            perRequest = running;
        }
        int wanted = held(slots, holdNanos, perRequest, maxLookahead);
        if (wanted >= 2 * lookahead || wanted * 2 <= lookahead) {
            resize(wanted, perRequest);
        }
    }

    /**
     * Requests to hold beyond the running ones so that a held request waits about {@code holdNanos}:
     * {@code slots} slots serve one each per {@code perRequest} ns; between 1 and {@code max}.
     */
    static int held(int slots, long holdNanos, double perRequest, int max) {
        return (int) Math.max(1, Math.min(max, slots * (double) holdNanos / Math.max(1, perRequest)));
    }

    private void resize(int wanted, double perRequest) {
        Channel ch = channel;
        try {
            ch.basicCancel(handler.getConsumerTag());
            lookahead = wanted;
            ch.basicQos(prefetch());
            handler.settler.prefetch(prefetch());
            ch.basicConsume(queue, false, handler);
            LOG.debug("{}: {} requests held beyond the {} slots ({} ns per request)", queue, wanted, slots, (long) perRequest);
        } catch (IOException | RuntimeException e) {
            // the channel is gone or going: its shutdown listener subscribes again
            LOG.debug("Re-consuming {} failed: {}", queue, e.toString());
            close(ch);
        }
    }

    /** Closes the channel (what it holds unacknowledged goes back to the queue) and subscribes no more. */
    void stop() {
        try {
            executor.submit(() -> {
                stopping = true;
                if (channel != null) {
                    close(channel);
                    channel = null;
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Stopping the consumer of {}: {}", queue, e.toString());
        }
    }

    private static void close(Channel ch) {
        try {
            if (ch.isOpen()) {
                ch.close();
            }
        } catch (Exception e) {
            LOG.debug("Closing a consumer channel: {}", e.toString());
        }
    }

    private final class Handler extends DefaultConsumer {

        private final DeliverySettler settler;

        Handler(Channel channel, DeliverySettler settler) {
            super(channel);
            this.settler = settler;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            deliveries.deliver(SlotSubscription.this, envelope, properties, body, settler);
        }

        @Override
        public void handleCancel(String consumerTag) {
            // the broker cancelled us (the queue was deleted): a new channel, once it is back
            LOG.warn("The broker cancelled the consumer of {}; subscribing again", queue);
            Channel ch = getChannel();
            later(() -> close(ch));
        }
    }
}
