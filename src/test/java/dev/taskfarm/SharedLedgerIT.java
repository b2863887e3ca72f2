package dev.taskfarm;

import java.nio.file.Files;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestDatabases;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Coordinators sharing a PostgreSQL ledger: one inbox, no file taken twice; a restart resumes. */
class SharedLedgerIT {

    @Test
    void twoCoordinatorsOnOneInboxTakeEachFileOnce() throws Exception {
        String ledger = TestDatabases.freshSchemaUrl();
        try (TestFarm a = TestFarm.onTestBroker()
                .with("taskfarm.ledger.url", ledger).with("taskfarm.ledger.username", TestDatabases.user())
                .start();
             TestFarm b = a.sibling().with("taskfarm.role", "coordinator").with("test.keep-queues", "true")
                     .with("taskfarm.data", a.dir().resolve("data-b").toString()).with("taskfarm.http.port", "0")
                     .with("taskfarm.watchdog.interval-ms", "1000").start()) {
            for (int i = 0; i < 20; i++) {
                a.submit("shared-" + i + ".json", Jobs.shaJob("sha256", 5, 1).toString());
            }
            for (int i = 0; i < 20; i++) {
                JsonNode r = a.awaitResult("shared-" + i, Duration.ofSeconds(60));
                assertThat(r.get("status").asText()).isEqualTo("completed");
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (var done = Files.list(a.inbox().resolve(".done"))) {
                    assertThat(done.count()).isEqualTo(20);
                }
            });
            assertThat(a.inbox().resolve(".error")).as("no coordinator saw a file another one took").doesNotExist();
        }
    }

    @Test
    void aRestartedCoordinatorFinishesTheJobWithEveryResult() throws Exception {
        String ledger = TestDatabases.freshSchemaUrl();
        var job = Jobs.shaJob("poison", 200, 1);
        // about 5 s of work on 2 consumers, so the stop below lands mid-job
        job.get("tasks").forEach(t -> ((com.fasterxml.jackson.databind.node.ObjectNode) t).put("sleepMs", 50));
        TestFarm first = TestFarm.onTestBroker()
                .with("taskfarm.worker.slots", "2")
                .with("taskfarm.ledger.url", ledger).with("taskfarm.ledger.username", TestDatabases.user())
                .with("test.keep-queues", "true")
                .start();
        first.submit("restart.json", job.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(first.inbox().resolve(".done/restart.json")));
        first.context().getRouteController().stopAllRoutes();
        first.close();
        assertThat(first.outbox().resolve("restart.result.json")).as("stopped mid-job").doesNotExist();

        try (TestFarm second = first.sibling().with("taskfarm.data", first.dir().resolve("data-2").toString())
                .with("taskfarm.http.port", "0").with("taskfarm.watchdog.interval-ms", "1000").start()) {
            JsonNode r = second.awaitResult("restart", Duration.ofSeconds(60));
            assertThat(r.get("status").asText()).isEqualTo("completed");
            assertThat(r.get("results")).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(r.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 1));
            }
        }
    }
}
