package dev.taskfarm.compute;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A user's compute, built as a jar against the project's classes (what {@code mvn install} gives
 * them), dropped into {@code computes/} and run the way the image runs taskfarm: {@code java -jar}
 * in the app's directory, where {@code -cp} would be ignored.
 */
class ComputeJarIT {

    static final String SOURCE = """
            package com.example;

            import com.fasterxml.jackson.databind.JsonNode;
            import com.fasterxml.jackson.databind.node.TextNode;
            import dev.taskfarm.compute.Compute;

            public class ReverseCompute implements Compute {
                @Override
                public String name() {
                    return "reverse";
                }

                @Override
                public JsonNode compute(JsonNode task) {
                    return TextNode.valueOf(new StringBuilder(task.path("text").asText()).reverse().toString());
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aComputeJarInTheComputesDirectoryServesJobsUnderJavaJar() throws Exception {
        Path jar = buildComputeJar();
        Path app = dir.resolve("app");
        Files.createDirectories(app.resolve("computes"));
        Files.copy(jar, app.resolve("computes/reverse.jar"));
        Path project = Path.of("").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-Dtaskfarm.embedded.port=0", "-Dtaskfarm.http.port=0",
                "-Dtaskfarm.routes=" + project.resolve("routes"), "-jar", project.resolve("target/taskfarm.jar").toString())
                .directory(app.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("app.log").toFile()).start();
        try {
            Files.createDirectories(app.resolve("inbox"));
            Files.writeString(app.resolve("inbox/.reverse.json.tmp"),
                    "{\"compute\":\"reverse\",\"tasks\":[{\"text\":\"taskfarm\"},{\"text\":\"abc\"}]}");
            Files.move(app.resolve("inbox/.reverse.json.tmp"), app.resolve("inbox/reverse.json"));
            Path result = app.resolve("outbox/reverse.result.json");
            // a hang guard for a busy machine; the wait ends when the result file is there
            Path refused = app.resolve("inbox/.error/reverse.json.error.txt");
            await().atMost(Duration.ofMinutes(3)).until(() -> Files.exists(result) || Files.exists(refused) || !p.isAlive());
            String log = Files.readString(dir.resolve("app.log"));
            assertThat(refused).as("refused: the compute was not found").doesNotExist();
            assertThat(result).as(log).exists();
            JsonNode doc = new ObjectMapper().readTree(result.toFile());
            assertThat(doc.path("status").asText()).isEqualTo("completed");
            assertThat(doc.at("/results/0/result").asText()).isEqualTo("mrafksat");
            assertThat(doc.at("/results/1/result").asText()).isEqualTo("cba");
            assertThat(log).contains("Compute jars from").contains("reverse.jar");
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    /** Compiles the compute against the project's classes and jars it with its service file. */
    Path buildComputeJar() throws Exception {
        Path src = dir.resolve("src/com/example/ReverseCompute.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE);
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        String cp;
        try (Stream<Path> libs = Files.list(Path.of("target/lib"))) {
            cp = Stream.concat(Stream.of(Path.of("target/classes")), libs.filter(l -> l.toString().contains("jackson")))
                    .map(Path::toString).reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, src.toString());
        assertThat(rc).as("javac").isZero();
        Path jar = dir.resolve("reverse.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            add(out, "com/example/ReverseCompute.class", Files.readAllBytes(classes.resolve("com/example/ReverseCompute.class")));
            add(out, "META-INF/services/dev.taskfarm.compute.Compute",
                    "com.example.ReverseCompute\n".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    static void add(JarOutputStream out, String name, byte[] content) throws Exception {
        out.putNextEntry(new JarEntry(name));
        ((OutputStream) out).write(content);
        out.closeEntry();
    }

}
