package dev.taskfarm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Routes are files read at start-up: editing a copy of them changes the farm's behaviour with no
 * recompilation, and with reload enabled the change applies while the farm runs.
 */
class RouteReloadIT {

    @TempDir
    Path routes;

    private void copyRoutes() throws Exception {
        for (String role : new String[] {"coordinator", "worker"}) {
            Files.createDirectories(routes.resolve(role));
            try (var files = Files.list(Path.of("routes", role))) {
                for (Path f : files.toList()) {
                    Files.copy(f, routes.resolve(role).resolve(f.getFileName()));
                }
            }
        }
    }

    private void editIntakeRoute(String doneDir) throws Exception {
        Path intake = routes.resolve("coordinator/10-intake-file.camel.yaml");
        String yaml = Files.readString(intake);
        assertThat(yaml).contains("constant: .done");
        Files.writeString(intake, yaml.replace("constant: .done", "constant: " + doneDir));
    }

    @Test
    void anEditedRouteFileChangesBehaviourOnTheNextStart() throws Exception {
        copyRoutes();
        editIntakeRoute(".processed");
        try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.routes", routes.toString()).start()) {
            farm.submit("edited.json", "[{\"seed\":\"a\"}]");
            farm.awaitResult("edited", Duration.ofSeconds(30));
            assertThat(farm.inbox().resolve(".processed/edited.json")).exists();
            assertThat(farm.inbox().resolve(".done/edited.json")).doesNotExist();
        }
    }

    @Test
    void aComputeDeclaredAsABeanInAYamlFileServesJobs() throws Exception {
        copyRoutes();
        Files.writeString(routes.resolve("worker/computes.camel.yaml"), """
                # user computes, declared without touching Java code
                - beans:
                    - name: shout
                      type: dev.taskfarm.support.ShoutCompute
                """);
        try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.routes", routes.toString()).start()) {
            farm.submit("shouting.json", "{\"compute\": \"shout\", \"tasks\": [{\"word\": \"hello\"}]}");
            var result = farm.awaitResult("shouting", Duration.ofSeconds(30));
            assertThat(result.at("/results/0/result").asText()).isEqualTo("HELLO!");
        }
    }

    @Test
    void withReloadEnabledAnEditAppliesLive() throws Exception {
        copyRoutes();
        try (TestFarm farm = TestFarm.onTestBroker()
                .with("taskfarm.routes", routes.toString())
                .with("camel.main.routes-reload-enabled", "true")
                .with("camel.main.routes-reload-directory", routes.toString())
                .start()) {
            farm.submit("before.json", "[{\"seed\":\"a\"}]");
            farm.awaitResult("before", Duration.ofSeconds(30));
            assertThat(farm.inbox().resolve(".done/before.json")).exists();

            editIntakeRoute(".live");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String name = "after-" + System.nanoTime() + ".json";
                farm.submit(name, "[{\"seed\":\"b\"}]");
                await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(farm.inbox().resolve(name)));
                assertThat(farm.inbox().resolve(".live/" + name)).exists();
            });
        }
    }
}
