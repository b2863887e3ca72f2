package dev.taskfarm.amqp;

import com.rabbitmq.client.Channel;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.ChannelProxy;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;

/**
 * Consumes a queue with manual acknowledgement and settles each delivery when its exchange
 * completes: ack on success, nack with requeue on failure, on the very channel the delivery came
 * on. A delivery whose channel closed meanwhile is not settled at all: the broker has requeued it
 * and delivers it again on the new channel, so no delivery tag is ever sent on a channel that did
 * not deliver it (the reconnect wedge of earlier versions). Reconnecting and re-subscribing is
 * Spring AMQP's {@link DirectMessageListenerContainer}'s job.
 */
final class AmqpConsumer extends DefaultConsumer implements ChannelAwareMessageListener {

    private static final Logger LOG = LoggerFactory.getLogger(AmqpConsumer.class);

    private final AmqpEndpoint endpoint;
    private DirectMessageListenerContainer container;

    AmqpConsumer(AmqpEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    public void onMessage(Message message, Channel channel) {
        // the cached channel's proxy would open a fresh channel for a late ack; its target never does
        Channel deliveredOn = channel instanceof ChannelProxy proxy ? proxy.getTargetChannel() : channel;
        long tag = message.getMessageProperties().getDeliveryTag();
        Exchange exchange = createExchange(false);
        exchange.getMessage().setHeaders(AmqpHeaders.toCamel(message.getMessageProperties()));
        exchange.getMessage().setBody(message.getBody());
        getAsyncProcessor().process(exchange, doneSync -> {
            settle(deliveredOn, tag, exchange);
            releaseExchange(exchange, false);
        });
    }

    private void settle(Channel channel, long tag, Exchange exchange) {
        boolean ok = !exchange.isFailed() && !exchange.isRollbackOnly();
        if (!channel.isOpen()) {
            LOG.debug("Delivery {} of {} not settled: its channel closed, the broker delivers it again", tag,
                    endpoint.getQueue());
            return;
        }
        try {
            if (ok) {
                channel.basicAck(tag, false);
            } else {
                channel.basicNack(tag, false, true);
            }
        } catch (Exception e) {
            LOG.debug("Delivery {} of {} not settled ({}): the broker delivers it again", tag, endpoint.getQueue(),
                    e.getMessage());
        }
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
