package dev.taskfarm;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/** The zero-setup default: the same flow on the in-process broker. */
class EmbeddedBrokerIT {

    @Test
    void runsAJobWithNoBrokerInstalled() throws Exception {
        try (TestFarm farm = TestFarm.onEmbeddedBroker().start()) {
            farm.submit("tasks-100.json", Jobs.shaJob("sha256", 100, 1000).toString());

            JsonNode result = farm.awaitResult("tasks-100", Duration.ofSeconds(60));

            assertThat(result.get("status").asText()).isEqualTo("completed");
            assertThat(result.get("results")).hasSize(100);
            for (int i = 0; i < 100; i++) {
                assertThat(result.at("/results/" + i + "/index").asInt()).isEqualTo(i);
                assertThat(result.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 1000));
            }
        }
    }

    @Test
    void refusesAPortThatIsTaken() throws Exception {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            var main = TaskfarmApp.newMain();
            main.addOverrideProperty("taskfarm.broker", "embedded");
            main.addOverrideProperty("taskfarm.embedded.port", String.valueOf(socket.getLocalPort()));
            main.addOverrideProperty("taskfarm.role", "worker");
            main.addOverrideProperty("camel.server.enabled", "false");
            main.addOverrideProperty("camel.management.enabled", "false");
            org.assertj.core.api.Assertions.assertThatThrownBy(main::start)
                    .hasStackTraceContaining("cannot listen on 127.0.0.1:" + socket.getLocalPort())
                    .hasStackTraceContaining("taskfarm.embedded.port");
        }
    }
}
