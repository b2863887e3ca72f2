package dev.taskfarm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** README's route list names every route file in routes/, so a newcomer reading it sees the whole flow. */
class ReadmeRoutesTest {

    @Test
    void readmeNamesEveryRouteFile() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String routes = readme.substring(readme.indexOf("## Routes"), readme.indexOf("\n## ", readme.indexOf("## Routes") + 1));
        List<String> files;
        try (Stream<Path> s = Files.walk(Path.of("routes"))) {
            files = s.filter(f -> f.toString().endsWith(".camel.yaml"))
                    .map(f -> Path.of("routes").relativize(f).toString().replace('\\', '/')).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        assertThat(files).allSatisfy(f -> assertThat(routes).as("README's route list").contains("`" + f + "`"));
    }
}
