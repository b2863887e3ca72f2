package dev.taskfarm.broker;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.function.UnaryOperator;

import com.rabbitmq.client.ConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpAuthenticationException;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * Where the RabbitMQ broker is and how to log in, from the {@code taskfarm.rabbitmq.*} settings:
 * {@code taskfarm.rabbitmq.url} ({@code amqp://host:port/vhost}, user info optional; parsed by the
 * client library's {@link ConnectionFactory#setUri}), else host, port and virtual host. A URL
 * the client cannot use is a start-up error, never a silent fallback to localhost; a refused
 * login fails at once instead of being retried. Credentials never have defaults here.
 */
public final class BrokerConnection {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerConnection.class);
    private static final String CREDENTIALS_HINT = "set RABBITMQ_USERNAME and RABBITMQ_PASSWORD "
            + "(or taskfarm.rabbitmq.username/password)";

    private BrokerConnection() {
    }

    /** The client factory for RabbitMQ; {@code property} answers null for a setting that is not set. */
    public static ConnectionFactory rabbitMq(UnaryOperator<String> property) {
        String url = property.apply("taskfarm.rabbitmq.url");
        String list = property.apply("taskfarm.rabbitmq.addresses");
        if (list == null && url != null) {
            list = BrokerAddresses.hostList(url);
        }
        ConnectionFactory rabbit = list == null ? new ConnectionFactory()
                : new FailoverConnectionFactory(nodes(property, list, url));
        if (url != null) {
            // a URL with a host list: its first host stands for the list in the URI (vhost, TLS, user)
            setUri(rabbit, BrokerAddresses.firstHostUrl(url));
        } else {
            if (list == null) {
                rabbit.setHost(require(property, "taskfarm.rabbitmq.host", "the RabbitMQ host (RABBITMQ_HOST, RABBITMQ_ADDRESSES or RABBITMQ_URL)"));
                rabbit.setPort(port(require(property, "taskfarm.rabbitmq.port", "the RabbitMQ port")));
            }
            rabbit.setVirtualHost(require(property, "taskfarm.rabbitmq.virtual-host", "the RabbitMQ virtual host"));
            if (Boolean.parseBoolean(property.apply("taskfarm.rabbitmq.tls"))) {
                try {
                    rabbit.useSslProtocol();
                } catch (Exception e) {
                    throw new BrokerSetupException("Cannot set up TLS for RabbitMQ: " + e.getMessage());
                }
            }
        }
        // the URL's user info wins; else the settings (environment)
        if (url == null || URI.create(BrokerAddresses.firstHostUrl(url)).getUserInfo() == null) {
            rabbit.setUsername(require(property, "taskfarm.rabbitmq.username", CREDENTIALS_HINT));
            rabbit.setPassword(require(property, "taskfarm.rabbitmq.password", CREDENTIALS_HINT));
        }
        return rabbit;
    }

    /** The nodes of taskfarm.rabbitmq.addresses (or a URL's host list), tried in random order unless address-shuffle=none. */
    private static BrokerAddresses nodes(UnaryOperator<String> property, String list, String url) {
        String shuffle = require(property, "taskfarm.rabbitmq.address-shuffle", "random or none");
        if (!"random".equals(shuffle) && !"none".equals(shuffle)) {
            throw new BrokerSetupException("taskfarm.rabbitmq.address-shuffle must be random or none, got \"" + shuffle + "\"");
        }
        try {
            return new BrokerAddresses(BrokerAddresses.parse(list, BrokerAddresses.defaultPort(url)), "random".equals(shuffle));
        } catch (IllegalArgumentException e) {
            throw new BrokerSetupException("taskfarm.rabbitmq.addresses (RABBITMQ_ADDRESSES): " + e.getMessage());
        }
    }

    private static void setUri(ConnectionFactory rabbit, String url) {
        String shown = hidePassword(url);
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new BrokerSetupException("taskfarm.rabbitmq.url (RABBITMQ_URL) is not a valid URL: " + shown + " ("
                    + e.getReason() + ")");
        }
        if (uri.getHost() == null) {
            throw new BrokerSetupException("taskfarm.rabbitmq.url (RABBITMQ_URL) has no single host: " + shown
                    + "; expected amqp://host[:port][/vhost]");
        }
        if (uri.getPort() > 65535) {
            throw new BrokerSetupException("taskfarm.rabbitmq.url (RABBITMQ_URL) has port " + uri.getPort()
                    + " out of range: " + shown);
        }
        try {
            rabbit.setUri(uri);
        } catch (Exception e) {
            throw new BrokerSetupException("taskfarm.rabbitmq.url (RABBITMQ_URL) cannot be used: " + shown + " ("
                    + e.getMessage() + "); expected amqp://host[:port][/vhost] or amqps://...");
        }
    }

    /**
     * Spring AMQP's caching factory over the client factory: one connection per process, its
     * channels cached; correlated publisher confirms (taskfarm-amqp's producers complete an
     * exchange on its messages' confirms). Spring reconnects and recovers consumers itself.
     */
    public static CachingConnectionFactory caching(ConnectionFactory rabbit, String connectionName, int channelCacheSize,
            java.util.concurrent.ExecutorService executor) {
        rabbit.setAutomaticRecoveryEnabled(false);
        CachingConnectionFactory cf = new CachingConnectionFactory(rabbit);
        cf.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        cf.setExecutor(executor);
        cf.setChannelCacheSize(channelCacheSize);
        cf.setConnectionNameStrategy(f -> connectionName);
        return cf;
    }

    /**
     * Waits until the broker accepts a connection, for at most {@code wait} (it may start after us
     * on Kubernetes). A refused login is not waited for: it fails at once.
     */
    public static void await(CachingConnectionFactory cf, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        String where = describe(cf);
        while (true) {
            try {
                cf.createConnection();
                return;
            } catch (AmqpAuthenticationException e) {
                throw new BrokerSetupException("The AMQP broker at " + where + " refused the login of user \""
                        + cf.getUsername() + "\" (" + rootMessage(e) + "): " + CREDENTIALS_HINT);
            } catch (AmqpException e) {
                if (System.nanoTime() > deadline) {
                    throw new BrokerSetupException("Cannot reach the AMQP broker at " + where + " (" + rootMessage(e)
                            + "); check taskfarm.rabbitmq.* / RABBITMQ_* settings");
                }
                LOG.warn("AMQP broker {} not reachable yet ({}); retrying", where, rootMessage(e));
                LOG.debug("AMQP connection attempt failed", e);
                Thread.sleep(2000);
            }
        }
    }

    /** amqp://host:port/vhost, without credentials. */
    public static String describe(CachingConnectionFactory cf) {
        String vhost = cf.getVirtualHost();
        String hosts = cf.getRabbitConnectionFactory() instanceof FailoverConnectionFactory f ? f.nodes().describe()
                : cf.getHost() + ":" + cf.getPort();
        return "amqp://" + hosts + ("/".equals(vhost) ? "" : "/" + vhost);
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port > 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BrokerSetupException("taskfarm.rabbitmq.port (RABBITMQ_PORT) must be a port number, got \"" + value + "\"");
    }

    private static String require(UnaryOperator<String> property, String key, String what) {
        String v = property.apply(key);
        if (v == null) {
            throw new BrokerSetupException("Missing setting " + key + ": " + what);
        }
        return v;
    }

    private static String hidePassword(String url) {
        return url.replaceAll("//([^:@/]*):[^@/]*@", "//$1:***@");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
