package dev.taskfarm;

import java.nio.file.Path;
import java.util.UUID;

import com.rabbitmq.client.ConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.rabbit.config.RetryInterceptorBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.retry.ImmediateRequeueMessageRecoverer;

import dev.taskfarm.amqp.AmqpComponent;
import dev.taskfarm.broker.BrokerConnection;
import dev.taskfarm.broker.BrokerHealthCheck;
import dev.taskfarm.broker.EmbeddedBroker;
import dev.taskfarm.broker.QueueTopology;

/**
 * Every role: the one AMQP connection factory of the process (starting the embedded broker when
 * no RabbitMQ is configured), the {@code taskfarm-amqp} component over it, the queues and the
 * control exchange, and the broker's readiness check.
 */
public class BrokerBeans implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerBeans.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        Registry registry = context.getRegistry();
        LOG.info("taskfarm starting as role {}", s.role().name().toLowerCase());
        if (s.role().coordinates() || usesEmbeddedBroker(s)) {
            // the ledger, the embedded broker's store, spool and kept inputs: one process per directory
            context.addService(new Closer(DataDirectoryLock.acquire(Path.of(s.text("taskfarm.data")))));
        }
        CachingConnectionFactory cf = connectionFactory(context, s);
        registry.bind("connectionFactory", cf);
        // requests and replies: taskfarm-amqp endpoints (acks and confirms are the endpoint's business)
        registry.bind("taskfarm-amqp", new AmqpComponent(cf));
        // camel-spring-rabbitmq consumers (control, dead letters): a failed exchange is requeued;
        // Spring's default recoverer would log "Message(s) dropped on recovery" and drop it
        registry.bind("requeueOnFailure", RetryInterceptorBuilder.stateless().maxAttempts(1)
                .recoverer(new ImmediateRequeueMessageRecoverer()).build());
        // declares the queues, and what a route auto-declares (the worker's exclusive control
        // queue), again on every new connection
        RabbitAdmin admin = new RabbitAdmin(cf);
        admin.setRedeclareManualDeclarations(true);
        admin.afterPropertiesSet();
        registry.bind("amqpAdmin", admin);
        QueueTopology topology = new QueueTopology(s.text("taskfarm.queue.requests"), s.text("taskfarm.queue.replies"),
                s.text("taskfarm.queue.dead-letters"), s.integer("taskfarm.queue.delivery-limit"));
        registry.bind("queueTopology", topology);
        BrokerConnection.await(cf, s.duration("taskfarm.broker.wait"));
        topology.declare(admin, cf);
        registry.bind("computeQueues", new dev.taskfarm.broker.ComputeQueues(topology, admin, cf));
        admin.declareExchange(new FanoutExchange(s.text("taskfarm.exchange.control"), true, false));
        HealthCheckHelper.getHealthCheckRegistry(context).register(new BrokerHealthCheck(cf));
    }

    private CachingConnectionFactory connectionFactory(CamelContext context, Settings s) throws Exception {
        ConnectionFactory rabbit = brokerFactory(context, s);
        // consumers run on this pool (one thread per busy consumer, not 2 x cores)
        var consumerPool = context.getExecutorServiceManager().newCachedThreadPool(this, "taskfarm-amqp-connection");
        // unique per process, so an operator (or a test) can find and close exactly this farm's connection
        String connectionName = "taskfarm-" + s.role().name().toLowerCase() + "@" + s.instanceId();
        CachingConnectionFactory cf = BrokerConnection.caching(rabbit, connectionName,
                s.integer("taskfarm.rabbitmq.channel-cache-size"), consumerPool);
        LOG.info("AMQP broker: {} as user {}", BrokerConnection.describe(cf), cf.getUsername());
        return cf;
    }

    private static boolean usesEmbeddedBroker(Settings s) {
        String mode = s.text("taskfarm.broker");
        boolean configured = s.optional("taskfarm.rabbitmq.url") != null || s.optional("taskfarm.rabbitmq.host") != null
                || s.optional("taskfarm.rabbitmq.addresses") != null;
        return "embedded".equals(mode) || "auto".equals(mode) && !configured;
    }

    private static ConnectionFactory brokerFactory(CamelContext context, Settings s) throws Exception {
        String mode = s.text("taskfarm.broker");
        if (usesEmbeddedBroker(s)) {
            String password = s.optional("taskfarm.embedded.password");
            password = password != null ? password : UUID.randomUUID().toString();
            // its queues and messages are kept under the data directory: a restart loses nothing
            EmbeddedBroker broker = EmbeddedBroker.start(s.integer("taskfarm.embedded.port"), "taskfarm", password,
                    Path.of(s.text("taskfarm.data"), "broker"), Boolean.parseBoolean(s.text("taskfarm.embedded.fsync")));
            context.addService(new Closer(broker));
            ConnectionFactory rabbit = new ConnectionFactory();
            rabbit.setHost("127.0.0.1");
            rabbit.setPort(broker.port());
            rabbit.setUsername("taskfarm");
            rabbit.setPassword(password);
            return rabbit;
        }
        if (!"rabbitmq".equals(mode) && !"auto".equals(mode)) {
            throw new IllegalStateException("taskfarm.broker must be auto, embedded or rabbitmq, got \"" + mode + "\"");
        }
        return BrokerConnection.rabbitMq(s::optional);
    }
}
