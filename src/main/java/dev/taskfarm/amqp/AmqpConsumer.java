package dev.taskfarm.amqp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.ChannelProxy;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;

/**
 * Consumes a queue (or several) with manual acknowledgement and settles each delivery when its
 * exchange completes: ack on success (grouped into multiple-acks, see {@link DeliverySettler}),
 * nack with requeue on failure, on the very channel the delivery came on. A delivery whose channel
 * closed meanwhile is not settled at all: the broker has requeued it and delivers it again on the
 * new channel, so no delivery tag is ever sent on a channel that did not deliver it (the reconnect
 * wedge of earlier versions).
 *
 * <p>Three shapes. Without {@code slots}: {@code consumers} channels of Spring AMQP's
 * {@link DirectMessageListenerContainer}, each with its own {@code prefetch}, each running its
 * deliveries on the thread that delivers them (the collector). With {@code slots} (the worker):
 * every delivery of every queue of the endpoint is handed to one pool of {@code slots} threads, so
 * a delivered request starts as soon as any slot is free, whatever queue it came from, and the
 * requests that wait for one are bounded. On RabbitMQ one {@link SlotSubscription} per queue, our
 * own consumer on a channel of its own: RabbitMQ applies a prefetch per consumer (its quorum
 * queues refuse a channel-global one) and fixes it at {@code basic.consume}, and the held count
 * follows the measured time per request ({@code holdTime}), re-consuming on the same channel when
 * it should move by 2x, which Spring's containers cannot do without closing the channel and so
 * requeueing what it holds. On the embedded Qpid broker one channel of a
 * {@link SimpleMessageListenerContainer} consumes every queue with a prefetch of {@code slots +
 * lookahead}, which Qpid counts for the channel whatever the flag, so for the process however
 * many queues it consumes (docs/DESIGN-NOTES.md, "Compute slots"). Reconnecting and
 * re-subscribing is the container's job, or the subscription's.
 */
final class AmqpConsumer extends DefaultConsumer implements ChannelAwareMessageListener, SlotSubscription.Deliveries {

    /** RabbitMQ's quorum queues count a message's earlier deliveries in this header. */
    static final String DELIVERY_COUNT = "x-delivery-count";
    static final int MAX_DOUBLINGS = 4;
    private final AmqpEndpoint endpoint;
    private AbstractMessageListenerContainer container;
    private ExecutorService slotPool;
    /** A worker's consumers on RabbitMQ: one per queue, their lookahead bounded by time. */
    private final List<SlotSubscription> subscriptions = new ArrayList<>();
    /** A worker's: re-subscribing, resizing the lookahead, the delayed requeues of failed requests. */
    private ScheduledExecutorService scheduler;
    /** One settler per consumer channel, dropped with its channel. */
    private final java.util.Map<Channel, DeliverySettler> settlers = new java.util.concurrent.ConcurrentHashMap<>();

    AmqpConsumer(AmqpEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    public void onMessage(Message message, Channel channel) {
        // the cached channel's proxy would open a fresh channel for a late ack; its target never does
        Channel deliveredOn = channel instanceof ChannelProxy proxy ? proxy.getTargetChannel() : channel;
        // completed deliveries above a long-running one: acknowledged alone before they take half the prefetch
        DeliverySettler known = settlers.get(deliveredOn);
        final DeliverySettler settler = known != null ? known : settlers.computeIfAbsent(deliveredOn, this::settlerFor);
        if (known == null && !deliveredOn.isOpen()) {
            settlers.remove(deliveredOn); // closed before its listener was added
        }
        long tag = message.getMessageProperties().getDeliveryTag();
        settler.delivered();
        Exchange exchange = createExchange(false);
        exchange.getMessage().setHeaders(AmqpHeaders.toCamel(message.getMessageProperties()));
        exchange.getMessage().setBody(message.getBody());
        if (slotPool == null) {
            process(exchange, settler, tag, 0);
        } else {
            // the consumer thread only hands over: the next delivery, of any queue, meets the next free slot
            int deliveries = deliveries(message.getMessageProperties().getHeaders().get(DELIVERY_COUNT),
                    message.getMessageProperties().getRedelivered());
            slotPool.execute(() -> process(exchange, settler, tag, deliveries));
        }
    }

    @Override
    public void deliver(SlotSubscription from, Envelope envelope, AMQP.BasicProperties properties, byte[] body,
            DeliverySettler settler) {
        long tag = envelope.getDeliveryTag();
        settler.delivered();
        Exchange exchange = createExchange(false);
        exchange.getMessage().setHeaders(AmqpHeaders.toCamel(envelope, properties));
        exchange.getMessage().setBody(body);
        int deliveries = deliveries(properties.getHeaders() == null ? null : properties.getHeaders().get(DELIVERY_COUNT),
                envelope.isRedeliver());
        slotPool.execute(() -> {
            long start = System.nanoTime();
            process(exchange, settler, tag, deliveries);
            from.ran(start, System.nanoTime());
        });
    }

    /** A new channel's settler, dropped with its channel (no scan of the map per delivery). */
    private DeliverySettler settlerFor(Channel ch) {
        ch.addShutdownListener(cause -> settlers.remove(ch));
        return new DeliverySettler(ch, endpoint.effectivePrefetch());
    }

    /**
     * Runs the exchange; when it completes, settles its delivery. A worker's failed request (its
     * reply could not be published, its compute process was replaced: causes that pass) goes back
     * to the queue only after {@code requeueDelay}, doubled for each earlier delivery, so a broker
     * failover that rejects publishes for seconds does not use up the quorum queue's delivery
     * limit on requests that cycle through a worker in milliseconds.
     */
    private void process(Exchange exchange, DeliverySettler settler, long tag, int deliveries) {
        getAsyncProcessor().process(exchange, doneSync -> {
            boolean ok = !exchange.isFailed() && !exchange.isRollbackOnly();
            long delay = ok || scheduler == null ? 0 : requeueDelay(deliveries);
            if (delay > 0) {
                try {
                    scheduler.schedule(() -> settler.settle(tag, false), delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    settler.settle(tag, false);
                }
            } else {
                settler.settle(tag, ok);
            }
            releaseExchange(exchange, false);
        });
    }

    /** Earlier deliveries of a message: the quorum queue's count, else 1 if it is redelivered. */
    static int deliveries(Object deliveryCount, Boolean redelivered) {
        if (deliveryCount instanceof Number n) {
            return n.intValue();
        }
        return Boolean.TRUE.equals(redelivered) ? 1 : 0;
    }

    private long requeueDelay(int deliveries) {
        return requeueDelay(endpoint.getRequeueDelay() == null ? 0 : endpoint.getRequeueDelay().toMillis(), deliveries);
    }

    /** {@code baseMs} doubled for each earlier delivery, {@link #MAX_DOUBLINGS} times at most. */
    static long requeueDelay(long baseMs, int deliveries) {
        return baseMs << Math.max(0, Math.min(MAX_DOUBLINGS, deliveries));
    }

    /** The queues to consume: the endpoint's queue, or {@code <queue>.<suffix>} for each suffix. */
    List<String> queues() {
        if (endpoint.getQueueSuffixes() == null) {
            return List.of(endpoint.getQueue());
        }
        Collection<String> suffixes = endpoint.getQueueSuffixes().get();
        List<String> queues = new ArrayList<>();
        for (String suffix : suffixes) {
            queues.add(endpoint.getQueue() + "." + suffix);
        }
        if (queues.isEmpty()) {
            throw new IllegalStateException("taskfarm-amqp:" + endpoint.getQueue() + " has no queue to consume (no "
                    + "queue suffix)");
        }
        return queues;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        List<String> queues = queues();
        if (endpoint.getSlots() > 0) {
            scheduler = getEndpoint().getCamelContext().getExecutorServiceManager()
                    .newSingleThreadScheduledExecutor(this, "taskfarm-amqp-worker");
            slotPool = getEndpoint().getCamelContext().getExecutorServiceManager().newFixedThreadPool(this,
                    "taskfarm-slot", endpoint.getSlots());
        }
        boolean rabbitMq = onRabbitMq();
        if (endpoint.getSlots() > 0 && rabbitMq) {
            // our own consumer per queue: RabbitMQ fixes a prefetch per consumer at basic.consume, and
            // a lookahead bounded by time re-consumes on the same channel (SlotSubscription)
            long holdNanos = endpoint.getHoldTime() == null ? 0 : endpoint.getHoldTime().toNanos();
            for (String queue : queues) {
                SlotSubscription subscription = new SlotSubscription(queue, endpoint.connectionFactory(), scheduler,
                        this, endpoint.getSlots(), endpoint.getLookahead(), endpoint.getMaxLookahead(), holdNanos);
                subscriptions.add(subscription);
                subscription.start();
            }
            return;
        }
        if (endpoint.getSlots() > 0) {
            // one channel for every queue: Qpid's prefetch counts for the channel, so for the process
            SimpleMessageListenerContainer smlc = new SimpleMessageListenerContainer(endpoint.connectionFactory());
            smlc.setConcurrentConsumers(1);
            container = smlc;
        } else {
            // RabbitMQ counts a prefetch per consumer whatever the channel (its quorum queues refuse a
            // global one), so a channel per queue costs nothing and saves the thread hop of a
            // SimpleMessageListenerContainer: deliveries are handed to the slots on the client's thread
            DirectMessageListenerContainer dmlc = new DirectMessageListenerContainer(endpoint.connectionFactory());
            dmlc.setConsumersPerQueue(endpoint.getSlots() > 0 ? 1 : endpoint.getConsumers());
            container = dmlc;
        }
        container.setQueueNames(queues.toArray(String[]::new));
        container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        container.setPrefetchCount(endpoint.effectivePrefetch());
        // a queue deleted under a running farm is retried, never a consumer that stops for good
        container.setMissingQueuesFatal(false);
        container.setMessagePropertiesConverter(new DefaultMessagePropertiesConverter(64 * 1024, true));
        container.setMessageListener(this);
        container.setBeanName("taskfarm-amqp:" + String.join(",", queues));
        container.afterPropertiesSet();
        container.start();
    }

    private boolean onRabbitMq() {
        return "RabbitMQ".equals(String.valueOf(
                endpoint.connectionFactory().createConnection().getDelegate().getServerProperties().get("product")));
    }

    @Override
    protected void doStop() throws Exception {
        subscriptions.forEach(SlotSubscription::stop);
        subscriptions.clear();
        if (scheduler != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(scheduler);
            scheduler = null;
        }
        if (container != null) {
            container.stop();
            container.destroy();
            container = null;
        }
        if (slotPool != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(slotPool);
            slotPool = null;
        }
        super.doStop();
    }
}
