package dev.taskfarm.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node of a test's own (own node name, AMQP and distribution ports, data and log
 * directories, no plugins), so a test can stop and restart its broker without disturbing the
 * shared one. Started from the installed RabbitMQ's scripts as the current user.
 */
public final class PrivateRabbit implements AutoCloseable {

    private static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");

    private final String node;
    private final int port;
    private final Path dir;
    private final Map<String, String> env = new HashMap<>();
    private Process server;

    private PrivateRabbit(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir.toAbsolutePath());
        this.node = "tf-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        this.port = freePort();
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
        Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.default = 127.0.0.1:" + port + "\n");
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_NODE_PORT", String.valueOf(port));
        env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        env.put("RABBITMQ_DIST_PORT", String.valueOf(freePort()));
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
    }

    /** Starts a node with its files under {@code dir}; returns once it accepts connections. */
    public static PrivateRabbit start(Path dir) throws Exception {
        PrivateRabbit r = new PrivateRabbit(dir);
        ProcessBuilder pb = new ProcessBuilder(BIN.resolve("rabbitmq-server").toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(r.dir.resolve("server.out").toFile()));
        pb.environment().putAll(r.env);
        r.server = pb.start();
        // the CLI cannot reach the node until it has registered itself, then waits for the boot
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(3))
                .pollInterval(java.time.Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
                    if (!r.server.isAlive()) {
                        throw new AssertionError("rabbitmq-server exited, see " + r.dir.resolve("server.out"));
                    }
                    r.ctl("await_startup");
                    return true;
                });
        return r;
    }

    public int port() {
        return port;
    }

    public String node() {
        return node;
    }

    /** taskfarm properties for this node (guest may connect from localhost). */
    public Map<String, String> properties() {
        return Map.of("taskfarm.broker", "rabbitmq", "taskfarm.rabbitmq.host", "127.0.0.1",
                "taskfarm.rabbitmq.port", String.valueOf(port), "taskfarm.rabbitmq.username", "guest",
                "taskfarm.rabbitmq.password", "guest");
    }

    public com.rabbitmq.client.ConnectionFactory connectionFactory() {
        com.rabbitmq.client.ConnectionFactory cf = new com.rabbitmq.client.ConnectionFactory();
        cf.setHost("127.0.0.1");
        cf.setPort(port);
        return cf;
    }

    /** Runs {@code rabbitmqctl -n <node> args...}; fails on a non-zero exit. */
    public String ctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve("rabbitmqctl").toString(), "-n", node));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("rabbitmqctl " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        try {
            ctl("stop");
        } finally {
            if (server != null && !server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
