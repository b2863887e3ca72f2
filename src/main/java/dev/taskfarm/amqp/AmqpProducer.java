package dev.taskfarm.amqp;

import java.util.List;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Publishes the exchange's message, or each {@link AmqpMessage} of a list body, and completes the
 * exchange when the broker confirmed them all (see {@link AmqpComponent}); with a {@code batcher},
 * a message it may combine goes through the endpoint's {@link Coalescer}. The routing key is the
 * header {@code CamelSpringRabbitmqRoutingOverrideKey} (a reply goes to its request's reply-to),
 * else the message's own, else the endpoint's queue.
 */
final class AmqpProducer extends DefaultAsyncProducer {

    private final AmqpEndpoint endpoint;

    AmqpProducer(AmqpEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Message m = exchange.getMessage();
        List<AmqpMessage> messages = messages(m);
        if (messages.isEmpty()) {
            callback.done(true);
            return true;
        }
        Outcome outcome = new Outcome(exchange, callback, endpoint.completions(), messages.size());
        String override = m.getHeader(SpringRabbitMQConstants.ROUTING_OVERRIDE_KEY, String.class);
        ConfirmedPublisher publisher = endpoint.publisher();
        Coalescer coalescer = endpoint.coalescer();
        try {
            for (AmqpMessage message : messages) {
                String routingKey = override != null ? override
                        : message.routingKey() != null ? message.routingKey() : endpoint.getQueue();
                int limit = coalescer == null ? 1 : endpoint.getBatcher().limit(message);
                if (limit > 1) {
                    coalescer.publish(routingKey, message, limit, outcome);
                } else {
                    publisher.publish(routingKey, message.properties(), message.body(), outcome);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome.fail(e);
        } catch (Exception e) {
            outcome.fail(e);
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static List<AmqpMessage> messages(Message m) {
        Object body = m.getBody();
        if (body instanceof List<?> list && (list.isEmpty() || list.get(0) instanceof AmqpMessage)) {
            return (List<AmqpMessage>) list;
        }
        return List.of(new AmqpMessage(null, AmqpHeaders.fromCamel(m), m.getBody(byte[].class)));
    }
}
