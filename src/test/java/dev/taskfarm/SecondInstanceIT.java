package dev.taskfarm;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.support.FarmProcess;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A second taskfarm started on the data directory of a running one says in one line what is
 * wrong and exits non-zero, instead of printing H2's lock trace and hanging.
 */
class SecondInstanceIT {

    @TempDir
    Path dir;

    @Test
    void aSecondInstanceOnTheSameDataDirectoryFailsInOneLine() throws Exception {
        Map<String, String> props = Map.of("taskfarm.embedded.port", "0", "taskfarm.http.port", "0",
                "taskfarm.routes", Path.of("routes").toAbsolutePath().toString());
        FarmProcess first = new FarmProcess("first", dir, props).start().awaitStarted(Duration.ofMinutes(3));
        try {
            Path project = Path.of("").toAbsolutePath();
            String cp = String.join(File.pathSeparator, project.resolve("target/taskfarm.jar").toString(),
                    project.resolve("target/lib/*").toString());
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp, "-Dtaskfarm.embedded.port=0", "-Dtaskfarm.http.port=0",
                    "-Dtaskfarm.routes=" + props.get("taskfarm.routes"), "dev.taskfarm.TaskfarmApp")
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("second.log").toFile());
            Process second = pb.start();
            // a hang guard, not a speed limit: the old behaviour was to never exit
            boolean exited = second.waitFor(3, java.util.concurrent.TimeUnit.MINUTES);
            second.destroyForcibly();
            String out = Files.readString(dir.resolve("second.log"), StandardCharsets.UTF_8);
            assertThat(exited).as("the second instance exits; its output:\n" + out).isTrue();
            assertThat(second.exitValue()).as(out).isNotZero();
            List<String> errors = out.lines().filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d+ (INFO|DEBUG) .*")).toList();
            assertThat(errors).as(out).hasSize(1);
            assertThat(errors.get(0)).contains(dir.resolve("data").toRealPath().toString())
                    .contains("another taskfarm").contains("TASKFARM_LEDGER_URL");
            assertThat(out).doesNotContain("\tat ", "Exception");
        } finally {
            first.stop();
        }
        assertThat(Files.exists(dir.resolve("data/ledger.mv.db"))).isTrue();
    }
}
