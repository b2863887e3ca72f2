package dev.taskfarm.support;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.Main;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.TaskfarmApp;

import static org.awaitility.Awaitility.await;

/**
 * A taskfarm started in-process for a test, the way {@code java -jar} starts it, with its own
 * inbox, outbox and ledger in a temp dir and its own queue names, so tests sharing one broker
 * never see each other's messages. Routes come from the project's routes/ directory.
 */
public final class TestFarm implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Main main;
    private final Path dir;
    private final Map<String, String> props;

    private TestFarm(Main main, Path dir, Map<String, String> props) {
        this.main = main;
        this.dir = dir;
        this.props = props;
    }

    /** Builder of a farm on the test broker (see {@link TestBroker}). */
    public static Builder onTestBroker() {
        Builder b = new Builder();
        b.props.putAll(TestBroker.rabbitProperties());
        if (b.props.isEmpty()) {
            b.embedded();
        }
        return b;
    }

    /** Builder of a farm on its own embedded broker (free port). */
    public static Builder onEmbeddedBroker() {
        return new Builder().embedded();
    }

    public static final class Builder {
        final Map<String, String> props = new HashMap<>();

        Builder embedded() {
            props.put("taskfarm.broker", "embedded");
            props.put("taskfarm.embedded.port", "0");
            return this;
        }

        public Builder with(String key, String value) {
            props.put(key, value);
            return this;
        }

        public TestFarm start() throws Exception {
            Path dir = Files.createTempDirectory("taskfarm-test-");
            String q = "it-" + UUID.randomUUID().toString().substring(0, 8);
            props.putIfAbsent("taskfarm.queue.requests", q + ".requests");
            props.putIfAbsent("taskfarm.queue.replies", q + ".replies");
            props.putIfAbsent("taskfarm.queue.dead-letters", q + ".requests.dlq");
            props.putIfAbsent("taskfarm.exchange.control", q + ".control");
            props.putIfAbsent("taskfarm.inbox", dir.resolve("inbox").toString());
            props.putIfAbsent("taskfarm.outbox", dir.resolve("outbox").toString());
            props.putIfAbsent("taskfarm.data", dir.resolve("data").toString());
            props.putIfAbsent("taskfarm.retry.delay-ms", "10");
            props.putIfAbsent("taskfarm.instance-id", q + "-" + dir.getFileName());
            // free ports: several farms (and a developer's own taskfarm) may run at once
            props.putIfAbsent("taskfarm.http.port", "0");
            props.putIfAbsent("taskfarm.watchdog.interval-ms", "1000");
            props.putIfAbsent("taskfarm.watchdog.grace-ms", "1000");
            Files.createDirectories(dir.resolve("inbox"));
            Main main = TaskfarmApp.newMain();
            props.forEach(main::addOverrideProperty);
            main.start();
            return new TestFarm(main, dir, props);
        }
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public String property(String key) {
        return props.get(key);
    }

    public Path dir() {
        return dir;
    }

    public Path inbox() {
        return Path.of(props.get("taskfarm.inbox"));
    }

    public Path outbox() {
        return Path.of(props.get("taskfarm.outbox"));
    }

    /**
     * The port the farm's HTTP server actually listens on (tests start it on port 0): the job API,
     * the jobs page, health and metrics all answer there.
     */
    public int httpPort() {
        VertxPlatformHttpServer server = context().hasService(VertxPlatformHttpServer.class);
        if (server == null) {
            throw new IllegalStateException("this farm runs no HTTP server");
        }
        return server.getPort();
    }

    /** http://127.0.0.1:port */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort());
    }

    /** The requests queue of the default compute, sha256 (one queue per compute: docs/WIRE.md). */
    public String requestsQueue() {
        return requestsQueue("sha256");
    }

    /** The requests queue of a compute: {@code <taskfarm.queue.requests>.<compute>}. */
    public String requestsQueue(String compute) {
        return props.get("taskfarm.queue.requests") + "." + compute;
    }

    public String repliesQueue() {
        return props.get("taskfarm.queue.replies");
    }

    /**
     * A builder for another farm on the same queues, inbox, outbox and kept inputs (a second
     * coordinator, a restart): coordinators that take over each other's jobs share the directory
     * of the jobs' inputs (README, {@code taskfarm.redrive.input-dir}), as they share the inbox.
     */
    public Builder sibling() {
        Builder b = new Builder();
        String inputs = props.get("taskfarm.redrive.input-dir");
        b.props.put("taskfarm.redrive.input-dir", inputs != null && !inputs.isBlank() ? inputs
                : Path.of(props.get("taskfarm.data"), "inputs").toString());
        for (String key : new String[] {"taskfarm.queue.requests", "taskfarm.queue.replies", "taskfarm.queue.dead-letters",
            "taskfarm.inbox", "taskfarm.outbox", "taskfarm.broker", "taskfarm.rabbitmq.host", "taskfarm.rabbitmq.port", "taskfarm.rabbitmq.addresses",
            "taskfarm.rabbitmq.url", "taskfarm.rabbitmq.username", "taskfarm.rabbitmq.password", "taskfarm.ledger.url",
            "taskfarm.ledger.username", "taskfarm.ledger.password", "taskfarm.exchange.control"}) {
            if (props.containsKey(key)) {
                b.props.put(key, props.get(key));
            }
        }
        return b;
    }

    /** Drops a job file into the inbox the safe way: written hidden, then renamed. */
    public void submit(String fileName, String content) throws IOException {
        Path tmp = inbox().resolve("." + fileName + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, inbox().resolve(fileName));
    }

    /** Waits for a job's result file and returns it parsed. */
    public JsonNode awaitResult(String jobId, Duration timeout) throws IOException {
        Path result = outbox().resolve(jobId + ".result.json");
        await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(result));
        return MAPPER.readTree(result.toFile());
    }

    /** A raw AMQP connection to the farm's broker, for tests that play an outside party. */
    public Connection amqpConnection() throws Exception {
        CachingConnectionFactory cf = context().getRegistry().lookupByNameAndType("connectionFactory",
                CachingConnectionFactory.class);
        return cf.getRabbitConnectionFactory().newConnection("taskfarm-test");
    }

    @Override
    public void close() throws Exception {
        // stop consuming before the queues go, so no consumer sees its queue deleted
        context().getRouteController().stopAllRoutes();
        if (!"embedded".equals(props.get("taskfarm.broker")) && !"true".equals(props.get("test.keep-queues"))) {
            try (Connection c = amqpConnection(); Channel ch = c.createChannel()) {
                var topology = context().getRegistry().lookupByNameAndType("queueTopology",
                        dev.taskfarm.broker.QueueTopology.class);
                java.util.List<String> queues = new java.util.ArrayList<>(java.util.List.of(repliesQueue(),
                        props.get("taskfarm.queue.dead-letters")));
                java.util.Set<String> computes = new java.util.TreeSet<>(topology.declaredComputes());
                computes.addAll(TestQueues.computes());
                computes.forEach(compute -> queues.add(requestsQueue(compute)));
                for (String q : queues) {
                    ch.queueDelete(q);
                }
                ch.exchangeDelete(props.get("taskfarm.exchange.control"));
            }
        }
        main.stop();
    }
}
