package dev.taskfarm.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A sample worker of examples/workers/ (Python on Debian's python3-pika, or Go on Debian's
 * golang-github-streadway-amqp-dev) run as its own process against a farm's queues, so a test can
 * SIGTERM it, SIGKILL it or close its broker connection. Its output goes to target/sample-workers/.
 */
public final class SampleWorker implements AutoCloseable {

    public enum Kind { PYTHON, GO }

    static final Path PROJECT = Path.of("").toAbsolutePath();
    static final Path OUT = PROJECT.resolve("target/sample-workers");
    static final String PYTHON = "/usr/bin/python3";

    private final Kind kind;
    private final String name;
    private final Map<String, String> env;
    private Process process;

    private SampleWorker(Kind kind, String name, Map<String, String> env) {
        this.kind = kind;
        this.name = name;
        this.env = env;
    }

    /** A worker for the farm's queues; {@code extraEnv} e.g. TASKFARM_REPLY_TWICE=true. */
    public static SampleWorker start(Kind kind, TestFarm farm, String... extraEnv) throws Exception {
        Map<String, String> env = new HashMap<>();
        Map<String, String> p = TestBroker.rabbitProperties();
        if (p.containsKey("taskfarm.rabbitmq.url")) {
            env.put("RABBITMQ_URL", p.get("taskfarm.rabbitmq.url"));
        } else {
            env.put("RABBITMQ_HOST", p.get("taskfarm.rabbitmq.host"));
            env.put("RABBITMQ_PORT", p.get("taskfarm.rabbitmq.port"));
        }
        env.put("RABBITMQ_USERNAME", p.get("taskfarm.rabbitmq.username"));
        env.put("RABBITMQ_PASSWORD", p.get("taskfarm.rabbitmq.password"));
        // the prefix of its compute queues, and the arguments it declares them with (docs/WIRE.md)
        env.put("TASKFARM_QUEUE_REQUESTS", farm.property("taskfarm.queue.requests"));
        env.put("TASKFARM_QUEUE_DEAD_LETTERS", farm.property("taskfarm.queue.dead-letters"));
        env.put("TASKFARM_EXCHANGE_CONTROL", farm.property("taskfarm.exchange.control"));
        String name = "sample-" + kind.name().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 8);
        env.put("TASKFARM_CONNECTION_NAME", name);
        for (int i = 0; i + 1 < extraEnv.length; i += 2) {
            env.put(extraEnv[i], extraEnv[i + 1]);
        }
        SampleWorker w = new SampleWorker(kind, name, env);
        w.launch();
        return w;
    }

    private void launch() throws IOException {
        Files.createDirectories(OUT);
        List<String> cmd = kind == Kind.PYTHON
                ? List.of(PYTHON, "-u", PROJECT.resolve("examples/workers/python/taskfarm_worker.py").toString())
                : List.of(goBinary().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        pb.environment().putAll(env);
        process = pb.start();
    }

    /** Fails (never skips) when Debian's python3-pika is missing. */
    public static void requirePython() throws Exception {
        Process p = new ProcessBuilder(PYTHON, "-c", "import pika").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("The Python sample worker needs " + PYTHON + " with pika: install Debian's "
                    + "python3-pika (scripts/test does it). " + out.trim());
        }
    }

    /**
     * Builds the Go sample worker into target/sample-workers with Debian's golang-go and
     * golang-github-streadway-amqp-dev (GOPATH mode, offline); fails clearly when they are missing.
     */
    public static synchronized Path buildGo() throws Exception {
        Path binary = goBinary();
        Files.createDirectories(OUT);
        List<String> cmd = new ArrayList<>(List.of("go", "build", "-o", binary.toString(), "."));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(PROJECT.resolve("examples/workers/go").toFile())
                .redirectErrorStream(true);
        pb.environment().put("GO111MODULE", "off");
        pb.environment().putIfAbsent("GOPATH", "/usr/share/gocode");
        pb.environment().put("GOCACHE", OUT.resolve("gocache").toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("The Go sample worker needs the go tool: install Debian's golang-go and "
                    + "golang-github-streadway-amqp-dev (scripts/test does it). " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("Building the Go sample worker failed (it needs Debian's "
                    + "golang-github-streadway-amqp-dev under GOPATH=/usr/share/gocode): " + out.trim());
        }
        return binary;
    }

    static Path goBinary() {
        return OUT.resolve("taskfarm-worker-go");
    }

    public Kind kind() {
        return kind;
    }

    public String connectionName() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, no goodbye: its unacknowledged requests go back to the queue. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts it again (as a Deployment would after a kill). */
    public void restart() throws IOException {
        launch();
    }

    /** SIGTERM and wait for the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            throw new IllegalStateException(name + " did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    public Path log() {
        return OUT.resolve(name + ".log");
    }

    public String logText() throws IOException {
        return Files.exists(log()) ? Files.readString(log(), StandardCharsets.UTF_8) : "";
    }

    public long countInLog(String text) throws IOException {
        return logText().lines().filter(l -> l.contains(text)).count();
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            terminate();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
