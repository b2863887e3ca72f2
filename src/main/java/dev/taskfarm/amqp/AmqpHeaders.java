package dev.taskfarm.amqp;

import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import org.apache.camel.Message;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.util.CaseInsensitiveMap;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;

/**
 * Maps AMQP properties and headers to Camel headers and back, with camel-spring-rabbitmq's header
 * names for the properties. AMQP headers keep their names; long strings become strings.
 */
final class AmqpHeaders {

    private static final int PERSISTENT = MessageDeliveryMode.toInt(MessageDeliveryMode.PERSISTENT);

    private AmqpHeaders() {
    }

    /**
     * Camel headers of a delivered message, in the map type Camel's default headers map factory
     * makes, so {@code Message.setHeaders} takes it as it is instead of copying a HashMap into one
     * (about 1% of a worker's CPU per tiny task, docs/BENCHMARKS.md "Round 3: per-message profile").
     */
    static Map<String, Object> toCamel(MessageProperties p) {
        return toCamel(p.getHeaders(), p.getDeliveryTag(), p.getRedelivered(), p.getReceivedRoutingKey(),
                p.getReceivedExchange(), p.getCorrelationId(), p.getReplyTo(), p.getContentType(), p.getMessageId(),
                p.getReceivedDeliveryMode());
    }

    /** The same headers, read from what the client library delivered (a worker's own consumer). */
    static Map<String, Object> toCamel(Envelope envelope, AMQP.BasicProperties p) {
        return toCamel(p.getHeaders(), envelope.getDeliveryTag(), envelope.isRedeliver(), envelope.getRoutingKey(),
                envelope.getExchange(), p.getCorrelationId(), p.getReplyTo(), p.getContentType(), p.getMessageId(),
                p.getDeliveryMode() == null ? null : MessageDeliveryMode.fromInt(p.getDeliveryMode()));
    }

    private static Map<String, Object> toCamel(Map<String, Object> amqpHeaders, long deliveryTag, Boolean redelivered,
            String routingKey, String exchange, String correlationId, String replyTo, String contentType,
            String messageId, MessageDeliveryMode deliveryMode) {
        Map<String, Object> h = new CaseInsensitiveMap();
        if (amqpHeaders != null) {
            amqpHeaders.forEach((k, v) -> h.put(k, v instanceof LongString ls ? ls.toString() : v));
        }
        h.put(SpringRabbitMQConstants.DELIVERY_TAG, deliveryTag);
        putIfSet(h, SpringRabbitMQConstants.REDELIVERED, redelivered);
        putIfSet(h, SpringRabbitMQConstants.ROUTING_KEY, routingKey);
        putIfSet(h, SpringRabbitMQConstants.EXCHANGE_NAME, exchange);
        putIfSet(h, SpringRabbitMQConstants.CORRELATION_ID, correlationId);
        putIfSet(h, SpringRabbitMQConstants.REPLY_TO, replyTo);
        putIfSet(h, SpringRabbitMQConstants.CONTENT_TYPE, contentType);
        putIfSet(h, SpringRabbitMQConstants.MESSAGE_ID, messageId);
        putIfSet(h, SpringRabbitMQConstants.DELIVERY_MODE, deliveryMode);
        return h;
    }

    /**
     * AMQP properties of an outgoing Camel message: persistent unless the delivery-mode header
     * says otherwise; headers not starting with "Camel" become AMQP headers.
     */
    static AMQP.BasicProperties fromCamel(Message m) {
        Map<String, Object> headers = new HashMap<>();
        AMQP.BasicProperties.Builder b = new AMQP.BasicProperties.Builder().deliveryMode(PERSISTENT);
        m.getHeaders().forEach((name, value) -> {
            if (value == null) {
                return;
            }
            switch (name) {
                case SpringRabbitMQConstants.CORRELATION_ID -> b.correlationId(value.toString());
                case SpringRabbitMQConstants.REPLY_TO -> b.replyTo(value.toString());
                case SpringRabbitMQConstants.CONTENT_TYPE -> b.contentType(value.toString());
                case SpringRabbitMQConstants.MESSAGE_ID -> b.messageId(value.toString());
                case SpringRabbitMQConstants.DELIVERY_MODE -> b.deliveryMode(value instanceof MessageDeliveryMode mode
                        ? MessageDeliveryMode.toInt(mode) : Integer.parseInt(value.toString()));
                default -> {
                    if (!name.regionMatches(true, 0, "Camel", 0, 5)
                            && (value instanceof String || value instanceof Number || value instanceof Boolean)) {
                        headers.put(name, value);
                    }
                }
            }
        });
        return b.headers(headers).build();
    }

    private static void putIfSet(Map<String, Object> h, String name, Object value) {
        if (value != null) {
            h.put(name, value);
        }
    }
}
