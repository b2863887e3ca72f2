package dev.taskfarm.amqp;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * {@code taskfarm-amqp:<queue>[?options]}: an AMQP queue as a Camel endpoint over Spring AMQP's
 * one {@link CachingConnectionFactory} of the process, with acknowledgements and publisher
 * confirms as the endpoint's business, never a bean's.
 *
 * <ul>
 * <li>Consumer ({@code from}): manual acknowledgement, settled when the exchange completes (ack on
 * success, nack with requeue on failure), on the channel the delivery came on; if that channel is
 * gone nothing is sent (the broker redelivers). The routing engine runs asynchronously, so a
 * consumer takes its next delivery while earlier exchanges still wait, for example on a publisher
 * confirm or a group commit. Options {@code consumers} (1), {@code prefetch} (250); or, for a
 * worker, {@code slots} (threads fed from every queue consumed), {@code lookahead} (4),
 * {@code holdTime} and {@code maxLookahead} (256), see {@link AmqpEndpoint}.</li>
 * <li>Producer ({@code to}): publishes the message (or, for a body that is a list of
 * {@link AmqpMessage}, each of them) persistent, with correlated publisher confirms, and completes
 * the exchange when the broker has confirmed all of them (fails it if one was rejected or its
 * channel closed first). At most {@code confirmWindow} (1000) publishes of an endpoint await their
 * confirm; a publish waits up to {@code confirmTimeout} ms (30000) for a free slot. With
 * {@code batcher} (a {@link MessageBatcher} bean), messages it may combine that are ready while an
 * earlier one of their routing key awaits its confirm travel together ({@link Coalescer}).</li>
 * </ul>
 * Header names are camel-spring-rabbitmq's ({@code CamelSpringRabbitmqCorrelationId} and so on),
 * so routes and beans read alike whichever of the two components carried a message; headers not
 * starting with {@code Camel} are AMQP headers.
 */
public class AmqpComponent extends DefaultComponent {

    private CachingConnectionFactory connectionFactory;

    public AmqpComponent() {
    }

    public AmqpComponent(CachingConnectionFactory connectionFactory) {
        this.connectionFactory = connectionFactory;
    }

    public CachingConnectionFactory getConnectionFactory() {
        return connectionFactory;
    }

    public void setConnectionFactory(CachingConnectionFactory connectionFactory) {
        this.connectionFactory = connectionFactory;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("taskfarm-amqp needs a queue name: taskfarm-amqp:<queue>");
        }
        if (connectionFactory == null) {
            connectionFactory = getCamelContext().getRegistry().findSingleByType(CachingConnectionFactory.class);
        }
        AmqpEndpoint endpoint = new AmqpEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
