package dev.taskfarm.routes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.job.BadJobException;
import dev.taskfarm.wire.DeadLetteredChunks;
import dev.taskfarm.wire.ReplyMessages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Route tests of the coordinator's routes that no other route test loads: file intake and its
 * errors (10, 11), dead letters (41), the job watchdog (50) and the queue-depth sampler (70). The
 * file intake runs on a real temporary inbox; broker consumers and timers start from direct
 * endpoints, broker sends and the hand-over to the dispatcher and aggregate routes go to mocks.
 */
class CoordinatorRoutesTest {

    static CamelContext context;
    static ProducerTemplate template;
    static Path inbox;
    static final List<String> accepted = new CopyOnWriteArrayList<>();
    static final List<String> stalled = new CopyOnWriteArrayList<>();
    static final List<String> handed = new CopyOnWriteArrayList<>();
    static final AtomicInteger samples = new AtomicInteger();

    /** Stands for jobIntake: a file whose text contains "bad" is not a valid job. */
    public static class Intake {
        public void accept(Exchange exchange) throws BadJobException {
            String name = exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class);
            if (exchange.getMessage().getBody(String.class).contains("bad")) {
                throw new BadJobException("unknown field \"taks\"");
            }
            exchange.getMessage().setHeader("TaskfarmJobId", name.replace(".json", ""));
            accepted.add(name);
        }
    }

    /** Stands for jobDispatcher: records the jobs handed to it. */
    public static class Dispatch {
        public void add(Exchange exchange) {
            handed.add(exchange.getMessage().getHeader("TaskfarmJobId", String.class));
        }
    }

    /** Stands for jobWatchdog. */
    public static class Watchdog {
        public List<String> stalledJobs() {
            return List.copyOf(stalled);
        }
    }

    /** Stands for queueMonitor. */
    public static class Monitor {
        public void sample() {
            samples.incrementAndGet();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        inbox = Files.createTempDirectory("intake-route-");
        context = RouteFiles.context(Map.of("taskfarm.inbox", inbox.toString(), "taskfarm.queue.requests", "t.requests",
                "taskfarm.queue.dead-letters", "t.requests.dlq"));
        Registry r = context.getRegistry();
        r.bind("inboxClaims", MemoryIdempotentRepository.memoryIdempotentRepository());
        r.bind("jobIntake", new Intake());
        r.bind("jobDispatcher", new Dispatch());
        r.bind("jobWatchdog", new Watchdog());
        r.bind("queueMonitor", new Monitor());
        r.bind("replyMessages", new ReplyMessages("t.replies"));
        r.bind("deadLetteredChunks", new DeadLetteredChunks("t.requests"));
        // present so the spring-rabbitmq endpoints resolve; never connects (their sends are mocked)
        r.bind("connectionFactory", new CachingConnectionFactory("127.0.0.1", 1));
        RouteFiles.load(context, "coordinator/11-intake-file-errors.camel.yaml", "coordinator/10-intake-file.camel.yaml",
                "coordinator/41-dead-letters.camel.yaml", "coordinator/50-job-watchdog.camel.yaml",
                "coordinator/70-queue-depth.camel.yaml");
        AdviceWith.adviceWith(context, "intake-file", a -> a.weaveByToUri("seda:dispatch*").replace()
                .to("mock:publish-tasks"));
        AdviceWith.adviceWith(context, "dead-letters", a -> {
            a.replaceFromWith("direct:dead-letters");
            a.mockEndpointsAndSkip("spring-rabbitmq:*");
        });
        AdviceWith.adviceWith(context, "job-watchdog", a -> {
            a.replaceFromWith("direct:watchdog");
            a.weaveByToUri("direct:aggregate-results").replace().to("mock:aggregate-results");
        });
        AdviceWith.adviceWith(context, "queue-depth", a -> a.replaceFromWith("direct:queue-depth"));
        context.start();
        template = context.createProducerTemplate();
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
    }

    private static MockEndpoint mock(String uri) {
        return context.getEndpoint(uri, MockEndpoint.class);
    }

    @Test
    void aJobFileIsAcceptedHandedToTheDispatcherAndMovedToDone() throws Exception {
        MockEndpoint publish = mock("mock:publish-tasks");
        publish.expectedMessageCount(1);
        Files.writeString(inbox.resolve("good.json"), "[{\"seed\":\"a\"}]");
        publish.assertIsSatisfied(30_000);
        assertThat(publish.getReceivedExchanges().get(0).getMessage().getHeader("TaskfarmJobId")).isEqualTo("good");
        await().until(() -> Files.exists(inbox.resolve(".done/good.json")));
        assertThat(accepted).contains("good.json");
        assertThat(handed).contains("good");
        assertThat(inbox.resolve("good.json")).doesNotExist();
    }

    @Test
    void aFileThatIsNoJobGoesToErrorWithItsReasonAndNothingIsPublished() throws Exception {
        Files.writeString(inbox.resolve("typo.json"), "{\"taks\":[], \"bad\":1}");
        Path reason = inbox.resolve(".error/typo.json.error.txt");
        await().until(() -> Files.exists(reason) && Files.exists(inbox.resolve(".error/typo.json")));
        assertThat(Files.readString(reason, StandardCharsets.UTF_8)).contains("typo.json")
                .contains("reason: unknown field \"taks\"");
        assertThat(mock("mock:publish-tasks").getReceivedCounter()).isZero();
        assertThat(handed).doesNotContain("typo");
        assertThat(inbox.resolve(".done/typo.json")).doesNotExist();
    }

    @Test
    void aDeadLetteredRequestBecomesAnErrorReplyWithTheBrokersReason() throws Exception {
        MockEndpoint out = mock("mock:spring-rabbitmq:default");
        out.expectedMessageCount(1);
        template.send("direct:dead-letters", e -> {
            e.getMessage().setHeader("TaskfarmJobId", "j");
            e.getMessage().setHeader("TaskfarmTaskIndex", 4);
            e.getMessage().setHeader("CamelSpringRabbitmqCorrelationId", "j:4");
            e.getMessage().setHeader("CamelSpringRabbitmqReplyTo", "t.replies");
            e.getMessage().setHeader("x-first-death-reason", "delivery_limit");
            e.getMessage().setBody("{\"seed\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        });
        out.assertIsSatisfied();
        var m = out.getReceivedExchanges().get(0).getMessage();
        assertThat(m.getHeader("TaskfarmStatus")).isEqualTo("error");
        assertThat(m.getHeader("TaskfarmError", String.class)).contains("delivery_limit");
        assertThat(m.getHeader("CamelSpringRabbitmqCorrelationId")).isEqualTo("j:4");
        assertThat(m.getHeader("CamelSpringRabbitmqRoutingOverrideKey")).isEqualTo("t.replies");
    }

    @Test
    void aDeadLetteredChunkGoesBackAsOneRequestPerTask() throws Exception {
        MockEndpoint out = mock("mock:spring-rabbitmq:default");
        out.expectedMessageCount(3);
        template.send("direct:dead-letters", e -> {
            e.getMessage().setHeader("TaskfarmJobId", "j");
            e.getMessage().setHeader("TaskfarmTaskIndex", 10);
            e.getMessage().setHeader("TaskfarmChunkSize", 3);
            e.getMessage().setHeader("CamelSpringRabbitmqReplyTo", "t.replies");
            e.getMessage().setBody("[{\"seed\":\"a\"},{\"seed\":\"b\"},{\"seed\":\"c\"}]".getBytes(StandardCharsets.UTF_8));
        });
        out.assertIsSatisfied();
        assertThat(out.getReceivedExchanges()).extracting(x -> x.getMessage().getHeader("CamelSpringRabbitmqCorrelationId"))
                .containsExactly("j:10", "j:11", "j:12");
        assertThat(out.getReceivedExchanges()).allSatisfy(x -> {
            assertThat(x.getMessage().getHeader("TaskfarmChunkSize")).isNull();
            assertThat(x.getMessage().getHeader("TaskfarmStatus")).as("a request, not a reply").isNull();
        });
        assertThat(out.getReceivedExchanges().get(1).getMessage().getBody(String.class)).isEqualTo("{\"seed\":\"b\"}");
    }

    @Test
    void theWatchdogSendsEachStalledJobToTheAggregatorAsACloseRequest() throws Exception {
        MockEndpoint aggregate = mock("mock:aggregate-results");
        aggregate.expectedMessageCount(2);
        stalled.addAll(List.of("old-1", "old-2"));
        try {
            template.sendBody("direct:watchdog", null);
        } finally {
            stalled.clear();
        }
        aggregate.assertIsSatisfied();
        assertThat(aggregate.getReceivedExchanges()).extracting(x -> x.getMessage().getHeader("TaskfarmJobId"))
                .containsExactly("old-1", "old-2");
        assertThat(aggregate.getReceivedExchanges()).allSatisfy(x ->
                assertThat(x.getMessage().getHeader("TaskfarmClose")).isEqualTo("watchdog"));
    }

    @Test
    void theWatchdogSendsNothingWhenNoJobIsStalled() throws Exception {
        template.sendBody("direct:watchdog", null);
        assertThat(mock("mock:aggregate-results").getReceivedCounter()).isZero();
    }

    @Test
    void theQueueDepthRouteSamplesTheQueues() {
        int before = samples.get();
        template.sendBody("direct:queue-depth", null);
        assertThat(samples.get()).isEqualTo(before + 1);
    }
}
