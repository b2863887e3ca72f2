package dev.taskfarm.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * A taskfarm JVM of its own, started the way a pod starts it ({@code java ... TaskfarmApp}) with
 * the packaged jar and its lib/ plus the test computes, so a test can SIGKILL it.
 */
public final class FarmProcess {

    private final String name;
    private final Path workDir;
    private final Map<String, String> props;
    private Process process;
    private int starts;

    public FarmProcess(String name, Path workDir, Map<String, String> props) {
        this.name = name;
        this.workDir = workDir;
        this.props = props;
    }

    public FarmProcess start() throws IOException {
        Files.createDirectories(workDir);
        Path project = Path.of("").toAbsolutePath();
        String cp = String.join(File.pathSeparator, project.resolve("target/taskfarm.jar").toString(),
                project.resolve("target/lib/*").toString(), project.resolve("target/test-classes").toString());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp));
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("dev.taskfarm.TaskfarmApp");
        starts++;
        process = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        return this;
    }

    /** Waits until this start of the process has its routes running. */
    public FarmProcess awaitStarted(Duration timeout) {
        int expected = starts;
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log tail:\n" + logTail(40));
            }
            return countInLog("(taskfarm) started in") >= expected;
        });
        return this;
    }

    /** SIGKILL: no shutdown hook, no graceful stop, like an OOM kill or a node loss. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM (what Ctrl-C or a pod's termination sends): waits for the graceful shutdown to finish. */
    public void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            kill();
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Restarts the process if it died (what a Deployment does); true if it had to. */
    public boolean restartIfDead() throws IOException {
        if (process.isAlive()) {
            return false;
        }
        start();
        return true;
    }

    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** The process of the current start (its descendants are its compute processes, if any). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    public int starts() {
        return starts;
    }

    public Path log() {
        return workDir.resolve(name + ".log");
    }

    public String logTail(int lines) throws IOException {
        List<String> all = Files.readAllLines(log(), java.nio.charset.StandardCharsets.ISO_8859_1);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    public long countInLog(String text) throws IOException {
        if (!Files.exists(log())) {
            return 0;
        }
        try (var lines = Files.lines(log(), java.nio.charset.StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }
}
