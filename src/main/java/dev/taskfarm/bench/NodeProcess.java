package dev.taskfarm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchNode} JVM seen from the benchmark (or a test): start, send commands, read answers,
 * stop, or kill it the hard way.
 */
public final class NodeProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Path log;

    private NodeProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readOutput, "bench-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a node with these JVM options and taskfarm properties; waits until it is ready. */
    public static NodeProcess start(String name, List<String> jvmOptions, Map<String, String> props,
            Map<String, String> env, Path logDir) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchNode.class.getName());
        props.forEach((k, v) -> cmd.add(k + "=" + v));
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        NodeProcess node = new NodeProcess(name, p, log);
        node.await("ready", 120);
        return node;
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer w = Files.newBufferedWriter(log)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(BenchNode.PREFIX)) {
                    answers.add(line.substring(BenchNode.PREFIX.length()));
                } else {
                    w.write(line);
                    w.write('\n');
                    w.flush();
                }
            }
        } catch (IOException e) {
            answers.add("failed output " + e.getMessage());
        }
        answers.add("exited");
    }

    public void send(String command) {
        commands.println(command);
    }

    /** The next answer starting with {@code prefix}; fails on a "failed" answer, an exit or the timeout. */
    public String await(String prefix, long timeoutSeconds) throws Exception {
        return await(prefix, timeoutSeconds, a -> { });
    }

    /** {@link #await(String, long)}, handing every other answer on the way to {@code others}. */
    public String await(String prefix, long timeoutSeconds, java.util.function.Consumer<String> others) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            String a = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (a == null) {
                throw new IllegalStateException(name + ": no \"" + prefix + "\" within " + timeoutSeconds + " s; see " + log);
            }
            if (a.startsWith(prefix)) {
                return a;
            }
            if (a.startsWith("failed") || a.equals("exited")) {
                throw new IllegalStateException(name + ": " + a + "; see " + log);
            }
            others.accept(a);
        }
    }

    public Path log() {
        return log;
    }

    /** SIGKILL: no shutdown hook, no graceful stop, like a pod killed by the kernel. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            send("quit");
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
