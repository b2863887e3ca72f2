package dev.taskfarm.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private RabbitMQ cluster on this machine, driven by the project's {@code scripts/rabbitmq-cluster}
 * (own node names tf1@localhost..., AMQP ports 5701..., data under a temp directory), so a test can
 * stop and start its nodes without touching the shared broker on 5672.
 */
public final class RabbitCluster implements AutoCloseable {

    private final Path dir;
    private final int nodes;

    private RabbitCluster(Path dir, int nodes) {
        this.dir = dir;
        this.nodes = nodes;
    }

    public static RabbitCluster start(int nodes) throws Exception {
        RabbitCluster c = new RabbitCluster(Files.createTempDirectory("taskfarm-cluster-"), nodes);
        c.run("start", String.valueOf(nodes));
        return c;
    }

    /** 127.0.0.1:5701,... in node order, first the given nodes (1-based), then the others. */
    public String addresses(int... first) {
        List<String> all = new ArrayList<>();
        for (int n : first) {
            all.add("127.0.0.1:" + port(n));
        }
        for (int n = 1; n <= nodes; n++) {
            if (!all.contains("127.0.0.1:" + port(n))) {
                all.add("127.0.0.1:" + port(n));
            }
        }
        return String.join(",", all);
    }

    public int port(int node) {
        return 5700 + node;
    }

    public void stopNode(int node) throws Exception {
        run("stop-node", String.valueOf(node));
    }

    public void startNode(int node) throws Exception {
        run("start-node", String.valueOf(node));
    }

    /** rabbitmqctl -q ARGS on node 1 (any node that runs), its output. */
    public String ctl(int node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ctl", String.valueOf(node), "-q"));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** How many connections of this client-provided name node {@code node} holds (asked of node {@code askNode}). */
    /** Connections whose name starts with {@code connectionName} (e.g. taskfarm-worker, named taskfarm-worker@<instance>). */
    public int connectionsOn(int askNode, int node, String connectionName) throws Exception {
        int count = 0;
        for (String line : ctl(askNode, "list_connections", "pid", "client_properties").split("\n")) {
            if (line.contains("\"" + connectionName) && line.contains("<tf" + node + "@localhost.")) {
                count++;
            }
        }
        return count;
    }

    private String run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of("scripts/rabbitmq-cluster").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TASKFARM_CLUSTER_DIR", dir.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("scripts/rabbitmq-cluster " + String.join(" ", args) + " failed:\n"
                    + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        run("delete", String.valueOf(nodes));
    }
}
