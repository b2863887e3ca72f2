package dev.taskfarm.broker;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several broker addresses: every connection of the process tries them in turn, so a dead node
 * first in the list (tried first: address-shuffle none) is skipped by all of them, and a URL with a
 * host list connects to the listed nodes, never to a default host.
 */
class BrokerAddressesIT {

    @Test
    void everyConnectionFailsOverFromADeadAddressToTheLiveOne() throws Exception {
        String live = liveAddress();
        try (TestFarm farm = farm().with("taskfarm.rabbitmq.addresses", "127.0.0.1:" + deadPort() + ", " + live).start()) {
            assertRunsOnTheTestBroker(farm);
        }
    }

    @Test
    void aUrlWithAHostListConnectsToTheListedNodes() throws Exception {
        String live = liveAddress();
        try (TestFarm farm = farm().with("taskfarm.rabbitmq.url", "amqp://127.0.0.1:" + deadPort() + "," + live).start()) {
            assertRunsOnTheTestBroker(farm);
        }
    }

    @Test
    void aUrlWhoseNodesAreAllDownIsNotReplacedByADefaultHost() throws Exception {
        int a = deadPort();
        int b = deadPort();
        assertThatThrownBy(() -> farm().with("taskfarm.rabbitmq.url", "amqp://127.0.0.1:" + a + ",127.0.0.1:" + b)
                .with("taskfarm.broker.wait", "PT1S").start())
                .satisfies(e -> assertThat(messages(e)).contains("Cannot reach the AMQP broker at amqp://127.0.0.1:" + a + ",127.0.0.1:" + b));
    }

    private static TestFarm.Builder farm() {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        Map<String, String> p = TestBroker.rabbitProperties();
        return TestFarm.onTestBroker().with("taskfarm.broker", "auto")
                .with("taskfarm.rabbitmq.host", "").with("taskfarm.rabbitmq.url", "")
                .with("taskfarm.rabbitmq.username", p.get("taskfarm.rabbitmq.username"))
                .with("taskfarm.rabbitmq.password", p.get("taskfarm.rabbitmq.password"))
                .with("taskfarm.rabbitmq.address-shuffle", "none")
                .with("taskfarm.worker.slots", "2");
    }

    /** The job runs, and its queues are on the test broker (not on an embedded or a default one). */
    private static void assertRunsOnTheTestBroker(TestFarm farm) throws Exception {
        farm.submit("failover.json", Jobs.shaJob("sha256", 200, 1).toString());
        JsonNode result = farm.awaitResult("failover", Duration.ofSeconds(60));
        assertThat(result.get("status").asText()).isEqualTo("completed");
        assertThat(result.get("succeeded").asInt()).isEqualTo(200);
        try (Connection c = TestBroker.connectionFactory().newConnection("addresses-it"); Channel ch = c.createChannel()) {
            assertThat(ch.queueDeclarePassive(farm.requestsQueue()).getQueue()).isEqualTo(farm.requestsQueue());
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static String liveAddress() throws Exception {
        var cf = TestBroker.connectionFactory();
        return cf.getHost() + ":" + cf.getPort();
    }

    /** A local port nothing listens on. */
    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
