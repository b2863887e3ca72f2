package dev.taskfarm.routes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.amqp.AmqpMessage;
import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.wire.RequestBatch;
import dev.taskfarm.wire.RequestMessages;
import dev.taskfarm.work.CancelledJobs;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publish route (routes/coordinator/20-publish-tasks.camel.yaml) without a broker: a job's
 * requests go to its compute's queue, {@code <taskfarm.queue.requests>.<compute>}, chosen by the
 * TaskfarmCompute header alone, after that queue was declared.
 */
class PublishRoutesTest {

    static CamelContext context;
    static ProducerTemplate template;
    static final List<String> events = new ArrayList<>();

    /** Stands for the job intake: one batch of two tasks of the exchange's job. */
    public static class Intake {
        public List<RequestBatch> requests(@Header("TaskfarmJobId") String job, @Header("TaskfarmCompute") String compute) {
            return List.of(new RequestBatch(job, compute, 2, 1, 0, List.of("{\"n\":0}", "{\"n\":1}")));
        }

        public void published(@Header("TaskfarmJobId") String job) {
            events.add("published " + job);
        }
    }

    /** Stands for the job progress: counts the batches published. */
    public static class Progress {
        public void published(RequestBatch batch) {
            events.add("batch " + batch.compute());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        context = RouteFiles.context(Map.of("taskfarm.queue.requests", "t.requests", "taskfarm.queue.replies", "t.replies"));
        var r = context.getRegistry();
        r.bind("jobIntake", new Intake());
        r.bind("jobProgress", new Progress());
        r.bind("cancelledJobs", new CancelledJobs(Duration.ofMinutes(1), 100));
        r.bind("requestMessages", new RequestMessages("t.replies"));
        r.bind("computeQueues", new ComputeQueues(null, null, null) {
            @Override
            public void declare(@Header("TaskfarmCompute") String compute) {
                events.add("declare " + compute);
            }
        });
        RouteFiles.load(context, "coordinator/20-publish-tasks.camel.yaml");
        org.apache.camel.builder.AdviceWith.adviceWith(context, "publish-tasks", a -> a.mockEndpointsAndSkip("taskfarm-amqp:*"));
        context.start();
        template = context.createProducerTemplate();
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    @Test
    void eachJobsRequestsGoToItsComputesQueueAfterItWasDeclared() throws Exception {
        publish("a", "sha256");
        publish("b", "upper");

        MockEndpoint sha = RouteFiles.mockOf(context, "t.requests.sha256");
        MockEndpoint upper = RouteFiles.mockOf(context, "t.requests.upper");
        assertThat(sha.getReceivedExchanges()).hasSize(1);
        assertThat(upper.getReceivedExchanges()).hasSize(1);
        List<?> shaMessages = sha.getReceivedExchanges().get(0).getMessage().getBody(List.class);
        assertThat(shaMessages).hasSize(2);
        assertThat(((AmqpMessage) shaMessages.get(0)).properties().getHeaders()).containsEntry("TaskfarmCompute", "sha256")
                .containsEntry("TaskfarmJobId", "a");
        List<?> upperMessages = upper.getReceivedExchanges().get(0).getMessage().getBody(List.class);
        assertThat(((AmqpMessage) upperMessages.get(1)).properties().getHeaders()).containsEntry("TaskfarmCompute", "upper");
        assertThat(events).containsExactly("declare sha256", "batch sha256", "published a", "declare upper", "batch upper",
                "published b");
    }

    private static void publish(String job, String compute) {
        Exchange done = template.send("direct:publish-tasks", e -> {
            e.getMessage().setHeader("TaskfarmJobId", job);
            e.getMessage().setHeader("TaskfarmCompute", compute);
            e.getMessage().setHeader("TaskfarmTaskCount", 2);
            e.getMessage().setBody("input");
        });
        assertThat(done.getException()).isNull();
    }
}
