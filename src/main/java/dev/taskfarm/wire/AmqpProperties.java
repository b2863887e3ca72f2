package dev.taskfarm.wire;

import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import org.apache.camel.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * AMQP properties of a reply prepared by {@link ReplyMessages} as Camel headers: the
 * camel-spring-rabbitmq headers become AMQP properties and the contract's {@code Taskfarm*}
 * headers become AMQP headers, the same mapping the camel-spring-rabbitmq producer applies.
 */
final class AmqpProperties {

    private static final String[] CONTRACT_HEADERS = {Wire.JOB_ID, Wire.TASK_INDEX, Wire.TASK_COUNT, Wire.COMPUTE,
        Wire.ATTEMPT, Wire.CHUNK_SIZE, Wire.STATUS, Wire.ERROR, Wire.WORKER, Wire.WIRE};

    private AmqpProperties() {
    }

    static AMQP.BasicProperties of(Message m) {
        Map<String, Object> headers = new HashMap<>();
        for (String name : CONTRACT_HEADERS) {
            Object v = m.getHeader(name);
            if (v != null) {
                headers.put(name, v);
            }
        }
        return new AMQP.BasicProperties.Builder()
                .contentType(m.getHeader(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON, String.class))
                .deliveryMode(MessageDeliveryMode.toInt(MessageDeliveryMode.PERSISTENT))
                .correlationId(m.getHeader(AmqpHeaders.CORRELATION_ID, String.class))
                .replyTo(m.getHeader(AmqpHeaders.REPLY_TO, String.class))
                .headers(headers)
                .build();
    }
}
