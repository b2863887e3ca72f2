package dev.taskfarm.support;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.RabbitMQContainer;

/**
 * The RabbitMQ the integration tests use, chosen in this order: {@code RABBITMQ_URL} from the
 * environment; a broker answering on 127.0.0.1:5672; a Testcontainers RabbitMQ when a Docker
 * engine runs; else none (the caller then uses the embedded broker and says so). The choice is
 * logged, so a run never silently tests something else than it claims.
 */
public final class TestBroker {

    private static final Logger LOG = LoggerFactory.getLogger(TestBroker.class);
    private static Map<String, String> chosen;
    private static String description;

    private TestBroker() {
    }

    /** taskfarm properties that point a farm at the chosen RabbitMQ (empty map: use embedded). */
    public static synchronized Map<String, String> rabbitProperties() {
        if (chosen == null) {
            chosen = choose();
            LOG.info("Integration tests use {}", description);
        }
        return chosen;
    }

    /** A real RabbitMQ is available (env, local or container). */
    public static boolean isRabbit() {
        return !rabbitProperties().isEmpty();
    }

    public static String description() {
        rabbitProperties();
        return description;
    }

    private static Map<String, String> choose() {
        Map<String, String> p = new HashMap<>();
        String user = env("RABBITMQ_USERNAME", "guest");
        String pass = env("RABBITMQ_PASSWORD", "guest");
        String url = System.getenv("RABBITMQ_URL");
        if (url != null && !url.isBlank()) {
            p.put("taskfarm.rabbitmq.url", url);
            p.put("taskfarm.rabbitmq.username", user);
            p.put("taskfarm.rabbitmq.password", pass);
            description = "RabbitMQ from RABBITMQ_URL (" + url.replaceAll("//[^@/]*@", "//***@") + ")";
            return p;
        }
        if (reachable("127.0.0.1", 5672)) {
            p.put("taskfarm.rabbitmq.host", "127.0.0.1");
            p.put("taskfarm.rabbitmq.port", "5672");
            p.put("taskfarm.rabbitmq.username", user);
            p.put("taskfarm.rabbitmq.password", pass);
            description = "the local RabbitMQ on 127.0.0.1:5672";
            return p;
        }
        if (dockerAvailable()) {
            RabbitMQContainer c = new RabbitMQContainer("rabbitmq:3.13-management");
            c.start();
            p.put("taskfarm.rabbitmq.host", c.getHost());
            p.put("taskfarm.rabbitmq.port", String.valueOf(c.getAmqpPort()));
            p.put("taskfarm.rabbitmq.username", c.getAdminUsername());
            p.put("taskfarm.rabbitmq.password", c.getAdminPassword());
            description = "a Testcontainers RabbitMQ on " + c.getHost() + ":" + c.getAmqpPort();
            return p;
        }
        description = "NO RabbitMQ (no RABBITMQ_URL, nothing on 127.0.0.1:5672, no Docker engine): the embedded broker";
        return p;
    }

    /** A plain amqp-client connection factory for the chosen RabbitMQ. */
    public static com.rabbitmq.client.ConnectionFactory connectionFactory() throws Exception {
        Map<String, String> p = rabbitProperties();
        com.rabbitmq.client.ConnectionFactory cf = new com.rabbitmq.client.ConnectionFactory();
        if (p.containsKey("taskfarm.rabbitmq.url")) {
            cf.setUri(p.get("taskfarm.rabbitmq.url"));
        } else {
            cf.setHost(p.get("taskfarm.rabbitmq.host"));
            cf.setPort(Integer.parseInt(p.get("taskfarm.rabbitmq.port")));
        }
        cf.setUsername(p.get("taskfarm.rabbitmq.username"));
        cf.setPassword(p.get("taskfarm.rabbitmq.password"));
        return cf;
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }

    private static boolean reachable(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
