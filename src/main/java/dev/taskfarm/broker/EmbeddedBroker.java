package dev.taskfarm.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.qpid.server.SystemLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process AMQP 0-9-1 broker (Qpid Broker-J) so taskfarm runs with nothing installed. It binds
 * to 127.0.0.1 only, on its own port (5673 by default, because a real RabbitMQ often owns 5672; 0
 * picks a free port) and says which in the log. Its virtual host keeps durable queues and
 * persistent messages in a Derby store under {@code <taskfarm.data>/broker}, so a restart of the
 * process (SIGTERM or SIGKILL) keeps every queued task, and messages do not live in the heap. The
 * broker's own configuration (port, user with a fresh password) is rebuilt at every start.
 */
public class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    private volatile org.apache.qpid.server.model.SystemConfig<?> systemConfig;
    private final SystemLauncher launcher = new SystemLauncher(
            new org.apache.qpid.server.SystemLauncherListener.DefaultSystemLauncherListener() {
                @Override
                public void onContainerResolve(org.apache.qpid.server.model.SystemConfig<?> config) {
                    systemConfig = config;
                }
            });
    private final int port;
    private final Path workDir;
    private final Path storeDir;

    private EmbeddedBroker(int port, Path workDir, Path storeDir) {
        this.port = port;
        this.workDir = workDir;
        this.storeDir = storeDir;
    }

    /**
     * Starts a broker with one user; {@code port} 0 picks a free port. Its message store is (or
     * already was) in {@code storeDir}. With {@code fsync} false the store's writes reach the
     * operating system at once but are not forced to the disk: a crashed or killed process loses
     * nothing, only a power loss of the machine could (the default; forcing costs a disk sync per
     * message, which made a small disk 40x slower).
     */
    public static EmbeddedBroker start(int port, String username, String password, Path storeDir, boolean fsync)
            throws Exception {
        if (!fsync) {
            System.setProperty("derby.system.durability", "test");
        }
        if (System.getProperty("derby.stream.error.file") == null) {
            // Derby's own log goes with its store, not into the working directory beside inbox/
            System.setProperty("derby.stream.error.file", storeDir.toAbsolutePath().resolve("derby.log").toString());
        }
        int chosen = port == 0 ? freePort() : port;
        Path workDir = Files.createTempDirectory("taskfarm-qpid-");
        Files.createDirectories(storeDir);
        EmbeddedBroker broker = new EmbeddedBroker(chosen, workDir, storeDir.toAbsolutePath());
        broker.launch(username, password);
        return broker;
    }

    private void launch(String username, String password) throws Exception {
        Path config = workDir.resolve("initial-config.json");
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(config.toFile(), initialConfig(username, password));
        Map<String, Object> attributes = new HashMap<>();
        attributes.put("type", "Memory");
        attributes.put("initialConfigurationLocation", config.toUri().toString());
        attributes.put("startupLoggedToSystemOut", false);
        attributes.put("context", Map.of(
                "qpid.work_dir", workDir.toString(),
                "qpid.amqp_port", String.valueOf(port),
                // RabbitMQ-only declare arguments (x-queue-type, ...) are ignored, not refused
                "queue.behaviourOnUnknownDeclareArgument", "IGNORE"));
        try {
            launcher.startup(attributes);
        } catch (Exception e) {
            throw new IllegalStateException("The embedded broker could not start on 127.0.0.1:" + port
                    + " (is the port taken? set taskfarm.embedded.port, 0 picks a free one): " + e.getMessage(), e);
        }
        // Qpid reports a port it cannot bind as an ERRORED child, not as a failed start-up
        var brokerModel = (org.apache.qpid.server.model.Broker<?>) systemConfig
                .getContainer(org.apache.qpid.server.model.Broker.class);
        for (var p : brokerModel.getPorts()) {
            if (p.getState() != org.apache.qpid.server.model.State.ACTIVE) {
                launcher.shutdown();
                throw new IllegalStateException("The embedded broker cannot listen on 127.0.0.1:" + port
                        + " (port taken?). Set taskfarm.embedded.port (TASKFARM_EMBEDDED_PORT) to a free port, or 0 for any.");
            }
        }
        ownShutdown(brokerModel);
        LOG.info("Embedded AMQP 0-9-1 broker (Qpid Broker-J) listening on 127.0.0.1:{}, message store {}", port, storeDir);
    }

    /**
     * Qpid closes its broker from a JVM shutdown hook of its own, which runs beside Camel's: on
     * SIGTERM the broker went away while the routes were still stopping, so the tasks in the
     * workers' slots could not send their replies and went back to the queue, and the dispatch's
     * publishes failed. The hook is removed: the broker is closed by {@link #close} when the Camel
     * context stops its services, after the routes.
     */
    private static void ownShutdown(org.apache.qpid.server.model.Broker<?> broker) {
        try {
            var hook = org.apache.qpid.server.model.BrokerImpl.class.getDeclaredField("_shutdownHook");
            hook.setAccessible(true);
            Runtime.getRuntime().removeShutdownHook((Thread) hook.get(broker));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot take over the embedded broker's shutdown ({}): on SIGTERM it may stop before the routes", e.toString());
        }
    }

    private Map<String, Object> initialConfig(String username, String password) {
        return Map.of(
                "name", "taskfarm-embedded",
                "modelVersion", "9.0",
                "authenticationproviders", List.of(Map.of(
                        "name", "plain", "type", "Plain", "secureOnlyMechanisms", List.of(),
                        "users", List.of(Map.of("name", username, "type", "managed", "password", password)))),
                "ports", List.of(Map.of(
                        "name", "AMQP", "port", port, "bindingAddress", "127.0.0.1",
                        "authenticationProvider", "plain", "protocols", List.of("AMQP_0_9_1"),
                        "virtualhostaliases", List.of(
                                Map.of("name", "nameAlias", "type", "nameAlias"),
                                Map.of("name", "defaultAlias", "type", "defaultAlias")))),
                // a Derby node: the virtual host's queues, bindings and messages are in one store on
                // disk ("ProvidedStore": the host uses its node's store); an existing store is reopened
                "virtualhostnodes", List.of(Map.of(
                        "name", "default", "type", "DERBY", "defaultVirtualHostNode", "true",
                        "storePath", storeDir.resolve("default").toString(),
                        "virtualHostInitialConfiguration", "{\"type\": \"ProvidedStore\"}")));
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        launcher.shutdown();
        try (var files = Files.walk(workDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
