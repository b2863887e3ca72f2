package dev.taskfarm.wire;

import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;

/** The Camel headers camel-spring-rabbitmq maps to AMQP message properties. */
final class AmqpHeaders {

    static final String CORRELATION_ID = SpringRabbitMQConstants.CORRELATION_ID;
    static final String REPLY_TO = SpringRabbitMQConstants.REPLY_TO;
    static final String CONTENT_TYPE = SpringRabbitMQConstants.CONTENT_TYPE;
    static final String DELIVERY_MODE = SpringRabbitMQConstants.DELIVERY_MODE;
    static final String ROUTING_KEY = SpringRabbitMQConstants.ROUTING_OVERRIDE_KEY;
    static final String DELIVERY_TAG = SpringRabbitMQConstants.DELIVERY_TAG;
    static final String CHANNEL = SpringRabbitMQConstants.CHANNEL;

    private AmqpHeaders() {
    }
}
