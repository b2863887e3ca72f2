package dev.taskfarm;

import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fair share between jobs on the real RabbitMQ (one process: coordinator and a worker of 2 slots).
 * Only orderings are asserted: which job ends first, and how far the other one is then.
 */
class FairShareIT {

    static TestFarm farm;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.worker.slots", "2").start();
        http = new Http(farm.baseUri());
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    static void submit(String id, String query, String body) throws Exception {
        HttpResponse<String> r = http.postJson("/jobs?id=" + id + query, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    static JsonNode job(String id) throws Exception {
        return http.json("/jobs/" + id);
    }

    /** Waits until the job has ended; returns its view. */
    static JsonNode ended(String id) throws Exception {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> !"running".equals(job(id).path("status").asText()));
        return job(id);
    }

    @Test
    void aSmallJobSubmittedWhileABigJobRunsEndsFirst() throws Exception {
        submit("fair-big", "", Jobs.shaJob("sha256", 20_000, 1000).toString());
        await().atMost(Duration.ofMinutes(2)).until(() -> job("fair-big").path("done").asInt() > 0);
        JsonNode accepted = job("fair-big");
        // 202 means accepted and kept, not "all on the broker": the big job is sent window by window
        assertThat(accepted.path("dispatch").path("inFlight").asInt()).isLessThan(20_000);

        submit("fair-small", "", Jobs.shaJob("sha256", 10, 1000).toString());
        JsonNode small = ended("fair-small");
        JsonNode big = job("fair-big");

        assertThat(small.path("status").asText()).isEqualTo("completed");
        assertThat(big.path("status").asText()).as("the big job still runs when the small one is done").isEqualTo("running");
        assertThat(big.path("done").asInt()).isLessThan(20_000);
        assertThat(ended("fair-big").path("succeeded").asInt()).isEqualTo(20_000);
    }

    @Test
    void aHigherPriorityJobOfEqualSizeSubmittedSecondEndsFirst() throws Exception {
        String tasks = Jobs.shaJob("sha256", 8_000, 1000).toString();
        submit("prio-low", "", tasks);
        submit("prio-high", "&priority=4", tasks);
        assertThat(job("prio-high").path("priority").asInt()).isEqualTo(4);
        assertThat(job("prio-low").path("priority").asInt()).isEqualTo(1);

        JsonNode high = ended("prio-high");
        JsonNode low = job("prio-low");

        assertThat(high.path("status").asText()).isEqualTo("completed");
        assertThat(low.path("status").asText()).isEqualTo("running");
        // the low job kept its (smaller) share meanwhile: weighted shares, not strict priority
        assertThat(low.path("done").asInt()).isGreaterThan(0).isLessThan(8_000);
        assertThat(ended("prio-low").path("succeeded").asInt()).isEqualTo(8_000);
    }
}
