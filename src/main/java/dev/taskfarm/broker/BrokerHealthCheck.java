package dev.taskfarm.broker;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * Readiness only: is the AMQP connection open (or can it be opened now)? A process whose broker is
 * gone should stop getting traffic, but restarting it would not bring the broker back, so this
 * check leaves liveness alone. Shows as {@code taskfarm-broker} in /observe/health.
 */
public class BrokerHealthCheck extends AbstractHealthCheck {

    private final CachingConnectionFactory connectionFactory;

    public BrokerHealthCheck(CachingConnectionFactory connectionFactory) {
        super("taskfarm", "taskfarm-broker");
        this.connectionFactory = connectionFactory;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("broker", connectionFactory.getHost() + ":" + connectionFactory.getPort());
        try {
            var connection = connectionFactory.createConnection();
            if (connection.isOpen()) {
                builder.up();
            } else {
                builder.message("the AMQP connection is closed").down();
            }
        } catch (Exception e) {
            builder.message("cannot connect to the AMQP broker: " + e.getMessage()).error(e).down();
        }
    }
}
