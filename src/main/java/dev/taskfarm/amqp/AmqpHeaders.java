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
        Map<String, Object> h = new CaseInsensitiveMap();
        p.getHeaders().forEach((k, v) -> h.put(k, v instanceof LongString ls ? ls.toString() : v));
        h.put(SpringRabbitMQConstants.DELIVERY_TAG, p.getDeliveryTag());
        putIfSet(h, SpringRabbitMQConstants.REDELIVERED, p.getRedelivered());
        putIfSet(h, SpringRabbitMQConstants.ROUTING_KEY, p.getReceivedRoutingKey());
        putIfSet(h, SpringRabbitMQConstants.EXCHANGE_NAME, p.getReceivedExchange());
        putIfSet(h, SpringRabbitMQConstants.CORRELATION_ID, p.getCorrelationId());
        putIfSet(h, SpringRabbitMQConstants.REPLY_TO, p.getReplyTo());
        putIfSet(h, SpringRabbitMQConstants.CONTENT_TYPE, p.getContentType());
        putIfSet(h, SpringRabbitMQConstants.MESSAGE_ID, p.getMessageId());
        putIfSet(h, SpringRabbitMQConstants.DELIVERY_MODE, p.getReceivedDeliveryMode());
        return h;
    }

    /** The same headers, read from what the client library delivered (a worker's own consumer). */
    static Map<String, Object> toCamel(Envelope envelope, AMQP.BasicProperties p) {
        Map<String, Object> h = new CaseInsensitiveMap();
        if (p.getHeaders() != null) {
            p.getHeaders().forEach((k, v) -> h.put(k, v instanceof LongString ls ? ls.toString() : v));
        }
        h.put(SpringRabbitMQConstants.DELIVERY_TAG, envelope.getDeliveryTag());
        h.put(SpringRabbitMQConstants.REDELIVERED, envelope.isRedeliver());
        putIfSet(h, SpringRabbitMQConstants.ROUTING_KEY, envelope.getRoutingKey());
        putIfSet(h, SpringRabbitMQConstants.EXCHANGE_NAME, envelope.getExchange());
        putIfSet(h, SpringRabbitMQConstants.CORRELATION_ID, p.getCorrelationId());
        putIfSet(h, SpringRabbitMQConstants.REPLY_TO, p.getReplyTo());
        putIfSet(h, SpringRabbitMQConstants.CONTENT_TYPE, p.getContentType());
        putIfSet(h, SpringRabbitMQConstants.MESSAGE_ID, p.getMessageId());
        if (p.getDeliveryMode() != null) {
            h.put(SpringRabbitMQConstants.DELIVERY_MODE, MessageDeliveryMode.fromInt(p.getDeliveryMode()));
        }
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
