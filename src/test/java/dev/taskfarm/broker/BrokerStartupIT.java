package dev.taskfarm.broker;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.taskfarm.support.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up failures of the broker connection, as a user meets them (the packaged app in its own
 * JVM): a refused login on the real RabbitMQ and a malformed URL each end the process at once
 * with a non-zero exit and one clear line, no retries and no stack trace.
 */
class BrokerStartupIT {

    @Test
    void aRefusedLoginFailsAtOnceInOneLine() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        var rabbit = TestBroker.connectionFactory();
        Run run = run(Map.of("RABBITMQ_HOST", rabbit.getHost(), "RABBITMQ_PORT", String.valueOf(rabbit.getPort()),
                "RABBITMQ_USERNAME", rabbit.getUsername(), "RABBITMQ_PASSWORD", "not-" + rabbit.getPassword()));
        assertThat(run.exit).as(run.output).isEqualTo(2);
        assertThat(run.errorLines()).as(run.output).hasSize(1);
        assertThat(run.errorLines().get(0)).contains("refused the login", "ACCESS_REFUSED", "RABBITMQ_PASSWORD");
        assertThat(run.output).as("not retried").doesNotContain("retrying");
        assertThat(run.output).as("no stack trace").doesNotContain("\tat ");
    }

    @Test
    void aMalformedUrlIsAStartUpErrorNotLocalhost() throws Exception {
        Run run = run(Map.of("RABBITMQ_URL", "amqp://rab bit:5701/vh", "RABBITMQ_USERNAME", "u",
                "RABBITMQ_PASSWORD", "p"));
        assertThat(run.exit).as(run.output).isEqualTo(2);
        assertThat(run.errorLines()).as(run.output).hasSize(1);
        assertThat(run.errorLines().get(0)).contains("RABBITMQ_URL", "rab bit:5701");
        assertThat(run.output).as("never connects anywhere").doesNotContain("AMQP broker:").doesNotContain("\tat ");
    }

    record Run(int exit, String output) {
        List<String> errorLines() {
            return output.lines().filter(l -> l.contains(" ERROR ") || l.startsWith("Exception")).toList();
        }
    }

    private static Run run(Map<String, String> env) throws Exception {
        Path dir = Files.createTempDirectory("taskfarm-startup-");
        Path project = Path.of("").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", project.resolve("target/taskfarm.jar") + File.pathSeparator + project.resolve("target/lib/*"),
                "-Dtaskfarm.routes=" + project.resolve("routes"), "-Dtaskfarm.http.port=0", "dev.taskfarm.TaskfarmApp"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("RABBITMQ_") || k.startsWith("TASKFARM_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), output);
    }
}
