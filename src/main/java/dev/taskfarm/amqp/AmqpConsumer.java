package dev.taskfarm.amqp;

import com.rabbitmq.client.Channel;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.ChannelProxy;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;

/**
 * Consumes a queue with manual acknowledgement and settles each delivery when its exchange
 * completes: ack on success (grouped into multiple-acks, see {@link DeliverySettler}), nack with
 * requeue on failure, on the very channel the delivery came on. A delivery whose channel closed meanwhile is not settled at all: the broker has requeued it
 * and delivers it again on the new channel, so no delivery tag is ever sent on a channel that did
 * not deliver it (the reconnect wedge of earlier versions). Reconnecting and re-subscribing is
 * Spring AMQP's {@link DirectMessageListenerContainer}'s job.
 */
final class AmqpConsumer extends DefaultConsumer implements ChannelAwareMessageListener {


    private final AmqpEndpoint endpoint;
    private DirectMessageListenerContainer container;
    /** One settler per consumer channel, dropped with its channel. */
    private final java.util.Map<Channel, DeliverySettler> settlers = new java.util.concurrent.ConcurrentHashMap<>();
    private final int ackBatch;

    AmqpConsumer(AmqpEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        // acknowledge in groups, well inside the prefetch so the broker keeps delivering
        this.ackBatch = Math.max(1, Math.min(100, endpoint.getPrefetch() / 4));
    }

    @Override
    public void onMessage(Message message, Channel channel) {
        // the cached channel's proxy would open a fresh channel for a late ack; its target never does
        Channel deliveredOn = channel instanceof ChannelProxy proxy ? proxy.getTargetChannel() : channel;
        DeliverySettler settler = settlers.computeIfAbsent(deliveredOn, ch -> new DeliverySettler(ch, ackBatch));
        settlers.keySet().removeIf(ch -> !ch.isOpen());
        long tag = message.getMessageProperties().getDeliveryTag();
        settler.delivered();
        Exchange exchange = createExchange(false);
        exchange.getMessage().setHeaders(AmqpHeaders.toCamel(message.getMessageProperties()));
        exchange.getMessage().setBody(message.getBody());
        getAsyncProcessor().process(exchange, doneSync -> {
            settler.settle(tag, !exchange.isFailed() && !exchange.isRollbackOnly());
            releaseExchange(exchange, false);
        });
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        container = new DirectMessageListenerContainer(endpoint.connectionFactory());
        container.setQueueNames(endpoint.getQueue());
        container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        container.setConsumersPerQueue(endpoint.getConsumers());
        container.setPrefetchCount(endpoint.getPrefetch());
        // a queue deleted under a running farm is retried, never a consumer that stops for good
        container.setMissingQueuesFatal(false);
        container.setMessagePropertiesConverter(new DefaultMessagePropertiesConverter(64 * 1024, true));
        container.setMessageListener(this);
        container.setBeanName("taskfarm-amqp:" + endpoint.getQueue());
        container.afterPropertiesSet();
        container.start();
    }

    @Override
    protected void doStop() throws Exception {
        if (container != null) {
            container.stop();
            container.destroy();
            container = null;
        }
        super.doStop();
    }
}
