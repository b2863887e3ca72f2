package dev.taskfarm.amqp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;

import com.rabbitmq.client.Channel;
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
 * <p>Two shapes. Without {@code slots}: {@code consumers} channels of Spring AMQP's
 * {@link DirectMessageListenerContainer}, each with its own {@code prefetch}, each running its
 * deliveries on the thread that delivers them (the collector). With {@code slots} (the worker):
 * every delivery of every queue of the endpoint is handed to one pool of {@code slots} threads, so
 * a delivered request starts as soon as any slot is free, whatever queue it came from, and with a
 * prefetch of {@code slots + lookahead} at most {@code lookahead} requests wait while all slots
 * are busy. The prefetch is the plain basic.qos (global=false). On the embedded Qpid broker one
 * channel of a {@link SimpleMessageListenerContainer} consumes every queue, and Qpid's 0-9-1
 * prefetch counts for the channel whatever the flag: the bound holds for the process however many
 * queues it consumes. RabbitMQ applies a prefetch per consumer, and its quorum queues refuse a
 * channel-global one (NOT_IMPLEMENTED, and the connection is closed), so there the bound is per
 * compute queue that has a backlog; one {@link DirectMessageListenerContainer} consumer per queue
 * then hands its deliveries to the slots on the client's own thread (docs/DESIGN-NOTES.md,
 * "Compute slots"). Reconnecting and re-subscribing is the container's job.
 */
final class AmqpConsumer extends DefaultConsumer implements ChannelAwareMessageListener {


    private final AmqpEndpoint endpoint;
    private AbstractMessageListenerContainer container;
    private ExecutorService slotPool;
    /** One settler per consumer channel, dropped with its channel. */
    private final java.util.Map<Channel, DeliverySettler> settlers = new java.util.concurrent.ConcurrentHashMap<>();
    private final int ackBatch;

    AmqpConsumer(AmqpEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        // acknowledge in groups, well inside the prefetch so the broker keeps delivering
        this.ackBatch = Math.max(1, Math.min(100, endpoint.effectivePrefetch() / 4));
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
            process(exchange, settler, tag);
        } else {
            // the consumer thread only hands over: the next delivery, of any queue, meets the next free slot
            slotPool.execute(() -> process(exchange, settler, tag));
        }
    }

    /** A new channel's settler, dropped with its channel (no scan of the map per delivery). */
    private DeliverySettler settlerFor(Channel ch) {
        ch.addShutdownListener(cause -> settlers.remove(ch));
        return new DeliverySettler(ch, ackBatch, endpoint.effectivePrefetch() / 2);
    }

    private void process(Exchange exchange, DeliverySettler settler, long tag) {
        getAsyncProcessor().process(exchange, doneSync -> {
            settler.settle(tag, !exchange.isFailed() && !exchange.isRollbackOnly());
            releaseExchange(exchange, false);
        });
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
            slotPool = getEndpoint().getCamelContext().getExecutorServiceManager().newFixedThreadPool(this,
                    "taskfarm-slot", endpoint.getSlots());
        }
        if (endpoint.getSlots() > 0 && !onRabbitMq()) {
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
