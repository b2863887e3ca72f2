package dev.taskfarm.setup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README's test command is {@code scripts/test}, CI runs that same script, and the script notices
 * what a fresh machine lacks (here: a PATH without chromium and chromedriver) instead of letting
 * the suite fail late. Only {@code --check} is run: it changes nothing on the machine.
 */
class TestScriptTest {

    static final Path PROJECT = Path.of("").toAbsolutePath();

    @Test
    void readmeTestCommandIsTheScriptAndCiRunsIt() throws IOException {
        String readme = Files.readString(PROJECT.resolve("README.md"));
        Matcher section = Pattern.compile("## Run the tests.*?```bash\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(section.find()).as("README has a 'Run the tests' command block").isTrue();
        assertThat(section.group(1).strip()).isEqualTo("scripts/test");
        assertThat(readme).contains("You need");
        List<String> ci = Files.readAllLines(PROJECT.resolve(".ci/run"));
        assertThat(ci).anyMatch(line -> line.strip().startsWith("exec scripts/test") || line.strip().equals("scripts/test"));
        assertThat(Files.isExecutable(PROJECT.resolve("scripts/test"))).isTrue();
    }

    @Test
    void checkIsQuietWhenEverythingIsThere() throws Exception {
        Result r = run(System.getenv("PATH"));
        assertThat(r.output).isEmpty();
        assertThat(r.exit).isZero();
    }

    @Test
    void checkNamesWhatIsMissing(@TempDir Path bin) throws Exception {
        Set<String> hidden = Set.of("chromium", "chromedriver", "kubectl");
        for (String dir : System.getenv("PATH").split(":")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> files = Files.list(d)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path link = bin.resolve(f.getFileName().toString());
                    if (!hidden.contains(f.getFileName().toString()) && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, f);
                    }
                }
            }
        }
        Result r = run(bin.toString());
        try (Stream<Path> links = Files.list(bin)) {
            for (Path link : (Iterable<Path>) links::iterator) {
                Files.delete(link);
            }
        }
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.output).contains("missing Debian package chromium\n", "missing Debian package chromium-driver\n", "kubectl is not on PATH");
        assertThat(r.output).doesNotContain("python3-pika", "golang-go", "RabbitMQ", "PostgreSQL");
    }

    record Result(int exit, String output) {
    }

    static Result run(String path) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", PROJECT.resolve("scripts/test").toString(), "--check").redirectErrorStream(true);
        pb.environment().put("PATH", path);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}
