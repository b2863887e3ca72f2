package dev.taskfarm.routes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Channel;
import org.apache.camel.Exchange;
import org.apache.camel.Navigate;
import org.apache.camel.Processor;
import org.apache.camel.processor.errorhandler.RedeliveryErrorHandler;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.support.FlakyCompute;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.work.CancelledJobs;
import dev.taskfarm.work.ComputeRunner;
import dev.taskfarm.work.PermanentErrors;
import dev.taskfarm.work.RunawayGuard;
import dev.taskfarm.wire.ControlMessages;
import dev.taskfarm.wire.ReplyMessages;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/worker without a broker: 30-worker (compute, reply), 31-worker-errors (retries, error
 * replies, requeue) and 32-worker-control (cancel filter). The request consumer and the control
 * consumer are direct endpoints here; the reply endpoint is a mock. A completed exchange is what
 * the taskfarm-amqp consumer acknowledges, a failed one what it requeues.
 */
class WorkerRoutesTest {

    static CamelContext context;
    static ProducerTemplate template;
    static MockEndpoint replies;

    @BeforeEach
    void resetMock() {
        replies.reset();
    }

    @BeforeAll
    static void start() throws Exception {
        context = RouteFiles.context(Map.of("taskfarm.queue.requests", "t.requests", "taskfarm.queue.replies", "t.replies",
                "taskfarm.exchange.control", "t.control", "taskfarm.retry.max", "2", "taskfarm.retry.delay-ms", "1"));
        Registry r = context.getRegistry();
        FarmMetrics metrics = new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1));
        CancelledJobs cancelled = new CancelledJobs(Duration.ofMinutes(1), 100);
        r.bind("farmMetrics", metrics);
        ComputeRegistry computes = new ComputeRegistry(context, "");
        r.bind("computeRunner", new ComputeRunner(computes, 10_000, new ComputeRunner.Retry(2, 1, 2.0, 10), metrics,
                new PermanentErrors("java.lang.IllegalArgumentException"),
                new RunawayGuard(RunawayGuard.Isolation.THREAD, computes, null, 1_000,
                        context.getExecutorServiceManager().newSingleThreadScheduledExecutor(RunawayGuard.class, "timer")),
                context.getExecutorServiceManager().newCachedThreadPool(ComputeRunner.class, "compute")));
        r.bind("replyMessages", new ReplyMessages("t.replies"));
        r.bind("replyBatches", new dev.taskfarm.wire.ReplyBatches());
        r.bind("cancelledJobs", cancelled);
        r.bind("cancelledTask", cancelled.taskOfCancelledJob());
        r.bind("controlMessages", new ControlMessages(cancelled::add));
        RouteFiles.load(context, "worker/30-worker.camel.yaml", "worker/31-worker-errors.camel.yaml",
                "worker/32-worker-control.camel.yaml");
        RouteFiles.fromDirect(context, "worker", "requests");
        RouteFiles.fromDirect(context, "worker-control", "control");
        context.start();
        template = context.createProducerTemplate();
        replies = RouteFiles.mockOf(context, "t.replies");
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    private static Exchange request(String job, int index, String compute, String body) {
        Map<String, Object> h = new HashMap<>();
        h.put("TaskfarmJobId", job);
        h.put("TaskfarmTaskIndex", index);
        h.put("TaskfarmCompute", compute);
        h.put("CamelSpringRabbitmqCorrelationId", job + ":" + index);
        h.put("CamelSpringRabbitmqReplyTo", "their.replies");
        return template.send("direct:requests", e -> {
            e.getMessage().setHeaders(h);
            e.getMessage().setBody(body.getBytes());
        });
    }

    @Test
    void aTaskGetsAnOkReplyToItsReplyToQueue() throws Exception {
        replies.expectedMessageCount(1);
        Exchange done = request("j", 0, "sha256", "{\"seed\":\"task-0\",\"rounds\":1}");
        replies.assertIsSatisfied();
        assertThat(done.isFailed()).as("acknowledged").isFalse();
        Exchange reply = replies.getReceivedExchanges().get(0);
        assertThat(reply.getMessage().getHeader("TaskfarmStatus")).isEqualTo("ok");
        assertThat(reply.getMessage().getHeader("CamelSpringRabbitmqRoutingOverrideKey")).isEqualTo("their.replies");
        assertThat(reply.getMessage().getHeader("CamelSpringRabbitmqCorrelationId")).isEqualTo("j:0");
        assertThat(reply.getMessage().getBody(String.class)).contains(Jobs.expectedSha(0, 1));
    }

    @Test
    void aFailingComputeIsRetriedThenAnsweredWithAnErrorReply() throws Exception {
        replies.expectedMessageCount(1);
        Exchange done = request("j", 1, "flaky", "{\"seed\":\"s\",\"fail\":true,\"group\":\"worker-route-retry\"}");
        replies.assertIsSatisfied();
        assertThat(done.isFailed()).isFalse();
        assertThat(FlakyCompute.runs("worker-route-retry")).as("first attempt + taskfarm.retry.max").isEqualTo(3);
        Exchange reply = replies.getReceivedExchanges().get(0);
        assertThat(reply.getMessage().getHeader("TaskfarmStatus")).isEqualTo("error");
        assertThat(reply.getMessage().getHeader("TaskfarmError", String.class)).contains("was told to fail");
    }

    /**
     * Retries are the compute runner's: with any redelivery enabled, Camel's error handler copies
     * every exchange before the route runs it (7-11% of a worker's CPU per tiny task, see
     * docs/BENCHMARKS.md "Round 3: per-message profile").
     */
    @Test
    void theWorkerRouteRedeliversNothingSoNoExchangeIsCopied() throws Exception {
        List<RedeliveryErrorHandler> handlers = new ArrayList<>();
        errorHandlers(context.getRoute("worker").navigate(), handlers);
        assertThat(handlers).isNotEmpty();
        for (RedeliveryErrorHandler h : handlers) {
            assertThat(h.determineIfRedeliveryIsEnabled()).as("redelivery of %s", h).isFalse();
        }
    }

    private static void errorHandlers(Navigate<Processor> nav, List<RedeliveryErrorHandler> found) {
        if (nav == null || !nav.hasNext()) {
            return;
        }
        for (Processor p : nav.next()) {
            if (p instanceof Channel c && c.getErrorHandler() instanceof RedeliveryErrorHandler h) {
                found.add(h);
            }
            if (p instanceof Navigate<?> n) {
                @SuppressWarnings("unchecked")
                Navigate<Processor> child = (Navigate<Processor>) n;
                errorHandlers(child, found);
            }
        }
    }

    @Test
    void aTaskThatCanNeverRunGetsAnErrorReplyWithoutRetries() throws Exception {
        replies.expectedMessageCount(2);
        request("j", 2, "no-such-compute", "{}");
        request("j", 3, "sha256", "not json");
        replies.assertIsSatisfied();
        assertThat(replies.getReceivedExchanges()).allSatisfy(e ->
                assertThat(e.getMessage().getHeader("TaskfarmStatus")).isEqualTo("error"));
        assertThat(replies.getReceivedExchanges().get(0).getMessage().getHeader("TaskfarmError", String.class))
                .contains("unknown compute");
    }

    @Test
    void aTaskOfACancelledJobIsAcknowledgedWithoutAReply() throws Exception {
        template.send("direct:control", e -> {
            e.getMessage().setHeader("TaskfarmControl", "cancel");
            e.getMessage().setHeader("TaskfarmJobId", "gone");
        });
        Exchange skipped = request("gone", 0, "flaky", "{\"seed\":\"s\",\"group\":\"worker-route-cancel\"}");
        Exchange other = request("kept", 0, "sha256", "{\"seed\":\"task-0\",\"rounds\":1}");
        assertThat(skipped.isFailed()).as("acknowledged").isFalse();
        assertThat(FlakyCompute.runs("worker-route-cancel")).as("never computed").isZero();
        assertThat(other.isFailed()).isFalse();
        assertThat(replies.getReceivedExchanges()).hasSize(1);
        assertThat(replies.getReceivedExchanges().get(0).getMessage().getHeader("TaskfarmJobId")).isEqualTo("kept");
    }

    @Test
    void aReplyThatCannotBePublishedFailsTheExchangeSoTheRequestIsRequeued() {
        replies.whenAnyExchangeReceived(e -> {
            throw new IllegalStateException("the broker did not confirm a publish");
        });
        Exchange done = request("j", 4, "sha256", "{\"seed\":\"task-4\",\"rounds\":1}");
        assertThat(done.isFailed()).as("requeued, never acknowledged").isTrue();
    }
}
