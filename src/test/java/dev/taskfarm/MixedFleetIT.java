package dev.taskfarm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.SampleWorker;
import dev.taskfarm.support.SampleWorker.Kind;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13, item 3: task routing by compute. A mixed fleet on RabbitMQ: a coordinator, a Java
 * worker (the built-ins) and the Python sample worker serving only {@code upper}; a stream of jobs
 * for both computes runs with no failed task and every result right, each request reaching a
 * worker that serves its compute. And a job for a compute no worker serves says so in its status
 * (it ends at its deadline, never task by task).
 */
class MixedFleetIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static TestFarm coordinator;
    static TestFarm javaWorker;
    static SampleWorker python;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        SampleWorker.requirePython();
        coordinator = TestFarm.onTestBroker().with("taskfarm.role", "coordinator")
                .with("taskfarm.computes.external", "upper,nobody").start();
        javaWorker = coordinator.sibling().with("taskfarm.role", "worker").with("taskfarm.http.port", "0")
                .with("taskfarm.worker.slots", "2").start();
        python = SampleWorker.start(Kind.PYTHON, coordinator, "TASKFARM_COMPUTES", "upper");
        http = new Http(coordinator.baseUri());
        await().atMost(Duration.ofMinutes(1)).until(() -> consumers("upper") == 1 && consumers("sha256") == 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (python != null) {
            assertThat(python.terminate()).as(python + " exit code after SIGTERM").isZero();
        }
        if (javaWorker != null) {
            javaWorker.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void aStreamOfJobsForAPythonComputeAndAJavaComputeFailsNothing() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int j = 0; j < 8; j++) {
            String id = "mixed-" + j;
            submit(id, j % 2 == 0 ? Jobs.shaJob("sha256", 20, 1) : upperJob(20, j));
            ids.add(id);
        }
        for (int j = 0; j < ids.size(); j++) {
            JsonNode result = coordinator.awaitResult(ids.get(j), Duration.ofMinutes(2));
            assertThat(result.get("status").asText()).as(ids.get(j) + " " + result).isEqualTo("completed");
            assertThat(result.get("failed").asInt()).isZero();
            for (int i = 0; i < 20; i++) {
                String expected = j % 2 == 0 ? Jobs.expectedSha(i, 1) : ("word " + j + " " + i).toUpperCase();
                assertThat(result.at("/results/" + i + "/result").asText()).as(ids.get(j) + " task " + i).isEqualTo(expected);
            }
        }
        // every upper task reached the Python worker: the Java worker never saw one
        assertThat(javaWorker.context().getRegistry().lookupByNameAndType("workerComputes",
                dev.taskfarm.work.WorkerComputes.class).get()).doesNotContain("upper");
    }

    @Test
    void aJobForAComputeNoWorkerServesSaysSoAndEndsAtItsDeadline() throws Exception {
        ObjectNode job = Jobs.shaJob("nobody", 4, 1);
        job.put("timeout", "PT4S");
        submit("nobody", job);

        JsonNode running = http.json("/jobs/nobody");
        assertThat(running.get("status").asText()).isEqualTo("running");
        assertThat(running.get("workers").asInt()).isZero();
        assertThat(running.get("notice").asText()).contains("no worker serves compute \"nobody\"");
        // no task failed one by one: nothing consumed them
        assertThat(running.get("failed").asInt()).isZero();

        JsonNode ended = coordinator.awaitResult("nobody", Duration.ofMinutes(1));
        assertThat(ended.get("status").asText()).isEqualTo("timed_out");
        assertThat(ended.get("missing").asInt()).isEqualTo(4);
        assertThat(ended.get("failed").asInt()).isZero();
        // and a job for a compute that has workers shows them, with no notice
        submit("served", Jobs.shaJob("sha256", 2, 1));
        JsonNode served = http.json("/jobs/served");
        assertThat(served.has("notice")).as(served.toString()).isFalse();
        coordinator.awaitResult("served", Duration.ofMinutes(1));
    }

    static ObjectNode upperJob(int count, int job) {
        ObjectNode o = MAPPER.createObjectNode().put("compute", "upper");
        ArrayNode tasks = o.putArray("tasks");
        for (int i = 0; i < count; i++) {
            tasks.addObject().put("text", "word " + job + " " + i);
        }
        return o;
    }

    static void submit(String id, ObjectNode job) throws Exception {
        var r = http.postJson("/jobs?id=" + id, job.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    static long consumers(String compute) throws Exception {
        try (Connection c = coordinator.amqpConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(coordinator.requestsQueue(compute)).getConsumerCount();
        }
    }
}
