package dev.taskfarm.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultExchange;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.chunk.ChunkSizer;
import dev.taskfarm.chunk.ComputeCosts;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.dispatch.Backlog;
import dev.taskfarm.dispatch.Dispatcher;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.RequestMessages;
import dev.taskfarm.wire.Wire;
import dev.taskfarm.work.CancelledJobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * routes/coordinator/20-publish-tasks (the dispatch) without a broker: the route file as shipped,
 * a real dispatcher and intake on an H2 ledger, the requests queue's taskfarm-amqp endpoint a mock.
 * No result is recorded here unless a test says so, and the completion rate is 0, so each job's
 * window is its minimum: its share of the worker slots (4), one task per message.
 */
class DispatchRoutesTest {

    static final String WAKE = "seda:dispatch?size=1&discardWhenFull=true";

    CamelContext context;
    ProducerTemplate template;
    JobLedger ledger;
    JobIntake intake;
    Dispatcher dispatcher;
    CancelledJobs cancelled;
    MockEndpoint requests;
    final List<String> declared = new java.util.concurrent.CopyOnWriteArrayList<>();
    Path dir;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("dispatch-route-");
        // no tick: every refill below comes from a wakeup (a result that frees window space)
        context = RouteFiles.context(Map.of("taskfarm.dispatch.tick-ms", "3600000"));
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:dispatch-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        FarmMetrics metrics = new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1));
        JobProgress progress = new JobProgress(60_000, metrics);
        metrics.registry(); // resolved before the first meter is registered from a route thread
        ChunkPlanner chunks = new ChunkPlanner(new ComputeCosts(), new ChunkSizer(5_000, 4, 500), compute -> 4, 0);
        intake = new JobIntake(ledger, new ComputeRegistry(context, ""), progress, "sha256", Duration.ofMinutes(15), 1, 10,
                chunks);
        dispatcher = new Dispatcher(intake, ledger, compute -> 4, 500, 1000, 10, 2, 1);
        cancelled = new CancelledJobs(Duration.ofHours(1), 100);
        Registry r = context.getRegistry();
        r.bind("jobDispatcher", dispatcher);
        r.bind("jobProgress", progress);
        r.bind("cancelledJobs", cancelled);
        r.bind("requestMessages", new RequestMessages("t.replies"));
        r.bind("computeQueues", new ComputeQueues(null, null, null) {
            @Override
            public void declare(@Header("TaskfarmCompute") String compute) {
                declared.add(compute);
            }

            @Override
            public void readRequests() {
                // the tests set the dispatcher's backlog themselves
            }
        });
        RouteFiles.load(context, "coordinator/20-publish-tasks.camel.yaml");
        org.apache.camel.builder.AdviceWith.adviceWith(context, "dispatch-tasks", a -> a.mockEndpointsAndSkip("taskfarm-amqp:*"));
        context.start();
        template = context.createProducerTemplate();
        dispatcher.setWakeup(() -> template.sendBody(WAKE, null));
        // the sha256 queue's endpoint (toD resolves the same one), so its mock exists before a send
        context.getEndpoint("taskfarm-amqp:{{taskfarm.queue.requests}}.sha256?confirmTimeout="
                + "{{taskfarm.publish.confirm-timeout-ms}}&confirmWindow={{taskfarm.publish.confirm-window}}");
        requests = RouteFiles.mockOf(context, "taskfarm.requests.sha256");
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    /** Accepts a job of {@code tasks} sha256 tasks through the intake and hands it to the dispatcher. */
    void submit(String id, int tasks, int priority) throws Exception {
        submit(id, tasks, priority, 0);
    }

    /** {@link #submit(String, int, int)} with {@code chunk} tasks per message (0: the intake's default, 1). */
    void submit(String id, int tasks, int priority, int chunk) throws Exception {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < tasks; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"seed\":\"").append(id).append('-').append(i).append("\"}");
        }
        Path file = Files.writeString(dir.resolve(id + ".json"), sb.append(']'));
        Exchange e = new DefaultExchange(context);
        e.getMessage().setBody(file.toFile());
        e.getMessage().setHeader(Wire.JOB_ID, id);
        e.getMessage().setHeader(JobIntake.PRIORITY, priority);
        if (chunk > 0) {
            e.getMessage().setHeader(Wire.CHUNK_SIZE, chunk);
        }
        intake.accept(e);
        dispatcher.add(e);
    }

    /** Job id and task indexes of every request message published so far, in order. */
    List<String> sent() {
        return requests.getReceivedExchanges().stream().flatMap(ex -> {
            @SuppressWarnings("unchecked")
            List<dev.taskfarm.amqp.AmqpMessage> ms = ex.getMessage().getBody(List.class);
            return ms.stream().map(m -> m.properties().getCorrelationId());
        }).toList();
    }

    long inFlight(String job) {
        return dispatcher.view(job).path("inFlight").asLong();
    }

    /**
     * A task answered twice in one window (a chunk reply redelivered after a connection loss, or a
     * result and its duplicate) frees its window space once: the window never counts fewer tasks in
     * flight than there are.
     */
    @Test
    void aTaskAnsweredTwiceFreesItsWindowSpaceOnce() throws Exception {
        submit("twice", 100, 1, 5);
        template.sendBody(WAKE, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> !sent().isEmpty() && inFlight("twice") > 0);
        long before = inFlight("twice");
        dispatcher.recorded("twice", 0);
        dispatcher.recorded("twice", 0);
        dispatcher.recorded("twice", 0);
        assertThat(inFlight("twice")).as("task 0 of the first chunk, answered three times").isEqualTo(before - 1);
    }

    @Test
    void aJobIsSentOnlyAsFarAsItsWindowAllowsAndEachResultRefillsIt() throws Exception {
        submit("big", 100, 1);
        template.sendBody(WAKE, null);

        await().until(() -> sent().size() == 4);
        assertThat(sent()).containsExactly("big:0", "big:1", "big:2", "big:3");
        assertThat(dispatcher.view("big").path("window").asInt()).isEqualTo(4);
        assertThat(ledger.find("big").published()).isFalse();

        dispatcher.recorded("big", 1);
        await().until(() -> sent().size() == 5);
        assertThat(sent().get(4)).isEqualTo("big:4");
        assertThat(inFlight("big")).isEqualTo(4);
        // a result of a task this dispatch never sent (a previous life's) frees nothing
        dispatcher.recorded("big", 99);
        assertThat(inFlight("big")).isEqualTo(4);
    }

    @Test
    void aSmallJobSubmittedBehindABigOneIsSentBeforeTheBigJobsBacklog() throws Exception {
        submit("big", 1000, 1);
        template.sendBody(WAKE, null);
        await().until(() -> sent().size() == 4);

        submit("small", 3, 1);
        template.sendBody(WAKE, null);
        // half the slots are the small job's now: 2 of its tasks go out at once, the big one waits
        await().until(() -> sent().size() == 6);
        assertThat(sent().subList(4, 6)).containsExactly("small:0", "small:1");
        for (int i = 0; i < 4; i++) {
            dispatcher.recorded("big", i);
        }
        dispatcher.recorded("small", 0);
        await().until(() -> sent().contains("small:2"));
        // the small job has nothing left to send: the big job's window is all the slots again
        await().until(() -> inFlight("big") == 4);
        assertThat(ledger.find("big").published()).isFalse();
        await().until(() -> ledger.find("small").published());
    }

    @Test
    void windowsAreSharedInProportionToPriority() throws Exception {
        submit("low", 100, 1);
        submit("high", 100, 3);
        template.sendBody(WAKE, null);

        // (the low job may have had all 4 slots for a moment before the high one arrived)
        await().until(() -> inFlight("high") == 3);
        assertThat(dispatcher.view("high").path("window").asInt()).isEqualTo(3);
        assertThat(dispatcher.view("low").path("window").asInt()).isEqualTo(1);
        assertThat(inFlight("low")).isBetween(1L, 4L);
    }

    @Test
    void everyBatchCarriesItsJobAndComputeHeaders() throws Exception {
        submit("heads", 3, 1);
        template.sendBody(WAKE, null);
        await().until(() -> sent().size() == 3);
        assertThat(requests.getReceivedExchanges()).allSatisfy(ex -> {
            assertThat(ex.getMessage().getHeader(Wire.JOB_ID)).isEqualTo("heads");
            assertThat(ex.getMessage().getHeader(Wire.COMPUTE)).isEqualTo("sha256");
            assertThat(ex.getMessage().getHeader(Wire.TASK_COUNT)).isEqualTo(3);
        });
        // its last batch confirmed: the job is fully published in the ledger
        await().until(() -> ledger.find("heads").published());
        assertThat(dispatcher.view("heads").path("state").asText()).isEqualTo("sent");
    }

    @Test
    void aCancelledOrDroppedJobSendsNothingMore() throws Exception {
        // cancelled before its first pass can run (each submit wakes the dispatch at once)
        cancelled.add("cancel-me");
        submit("cancel-me", 100, 1);
        submit("other", 100, 1);
        dispatcher.drop("cancel-me");
        template.sendBody(WAKE, null);

        await().until(() -> sent().size() == 4);
        assertThat(sent()).allMatch(id -> id.startsWith("other:"));
        assertThat(dispatcher.dispatching("cancel-me")).isFalse();
    }

    @Test
    void aFailedPublishStopsItsJobForTheRedriveAndTheOthersGoOn() throws Exception {
        requests.whenAnyExchangeReceived(e -> {
            if ("broken".equals(e.getMessage().getHeader(Wire.JOB_ID))) {
                throw new IllegalStateException("broker said no");
            }
        });
        submit("broken", 100, 1);
        submit("fine", 100, 1);
        template.sendBody(WAKE, null);

        await().until(() -> dispatcher.needsRewind("broken"));
        // the stopped job's share is the other's now
        await().until(() -> inFlight("fine") == 4);
        dispatcher.recorded("fine", 0);
        await().until(() -> sent().contains("fine:4"));
        assertThat(dispatcher.view("broken").path("state").asText()).isEqualTo("stopped");
    }

    @Test
    void eachJobsRequestsGoToItsComputesQueueDeclaredFirst() throws Exception {
        submit("hash", 2, 1);
        Path file = Files.writeString(dir.resolve("words.json"), "{\"compute\":\"echo\",\"tasks\":[{\"a\":1},{\"a\":2}]}");
        Exchange e = new DefaultExchange(context);
        e.getMessage().setBody(file.toFile());
        e.getMessage().setHeader(Wire.JOB_ID, "words");
        intake.accept(e);
        dispatcher.add(e);
        template.sendBody(WAKE, null);

        // the echo queue's endpoint exists only once its first batch went out (a toD)
        await().until(() -> sent().size() == 2 && RouteFiles.findMock(context, "taskfarm.requests.echo")
                .map(m -> m.getReceivedCounter() > 0).orElse(false));
        assertThat(sent()).containsExactly("hash:0", "hash:1");
        MockEndpoint echo = RouteFiles.mockOf(context, "taskfarm.requests.echo");
        assertThat(echo.getReceivedExchanges()).allSatisfy(ex -> assertThat(ex.getMessage().getHeader(Wire.JOB_ID))
                .isEqualTo("words"));
        assertThat(declared).contains("sha256", "echo");
    }

    @Test
    void aFullWindowDoublesOnEachFreshReadingOfAnEmptyQueueAndHalvesOnAReadingWithABacklog() throws Exception {
        long[] ready = {0};
        java.util.concurrent.atomic.AtomicLong readAt = new java.util.concurrent.atomic.AtomicLong();
        dispatcher.setBacklog(compute -> new Backlog.Reading(ready[0], readAt.get()));
        submit("slow-results", 1000, 1);
        template.sendBody(WAKE, null);
        await().until(() -> sent().size() == 4);

        // no result comes back (a slow result path): each fresh reading of an empty queue doubles the window
        freshReadingThenSent(readAt, 8);
        freshReadingThenSent(readAt, 16);
        // the same reading again grows nothing
        template.sendBody(WAKE, null);
        dispatcher.recorded("slow-results", 0);
        await().until(() -> sent().size() == 17);
        assertThat(dispatcher.view("slow-results").path("window").asInt()).isEqualTo(16);

        // requests wait on the queue: the window halves, and nothing is sent until it drains below that
        ready[0] = 50;
        readAt.incrementAndGet();
        template.sendBody(WAKE, null);
        await().until(() -> dispatcher.view("slow-results").path("window").asInt() == 8);
        for (int i = 1; i <= 8; i++) {
            dispatcher.recorded("slow-results", i);
        }
        // 8 in flight: one more result makes room for exactly one more request
        dispatcher.recorded("slow-results", 9);
        await().until(() -> sent().size() == 18);
        assertThat(inFlight("slow-results")).isEqualTo(8);
    }

    @Test
    void aFullWindowGrowsToTwiceWhatTheComputesWorkersCanHoldAtMost() throws Exception {
        java.util.concurrent.atomic.AtomicLong readAt = new java.util.concurrent.atomic.AtomicLong();
        // the queue reads empty every time, and the compute's consumers hold 6 messages together
        dispatcher.setBacklog(compute -> new Backlog.Reading(0, readAt.get(), 6));
        submit("replies-behind", 1000, 1);
        template.sendBody(WAKE, null);
        await().until(() -> sent().size() == 4);

        freshReadingThenSent(readAt, 8);
        // 16 would be the next doubling: the rest of it would wait for the collector, not a worker
        freshReadingThenSent(readAt, 12);
        readAt.incrementAndGet();
        template.sendBody(WAKE, null);
        dispatcher.recorded("replies-behind", 0);
        await().until(() -> sent().size() == 13);
        assertThat(dispatcher.view("replies-behind").path("window").asInt()).isEqualTo(12);
        assertThat(inFlight("replies-behind")).isEqualTo(12);
    }

    /** A fresh reading of the queue and a wakeup; then this many requests have been sent in all. */
    private void freshReadingThenSent(java.util.concurrent.atomic.AtomicLong readAt, int sentInAll) {
        readAt.incrementAndGet();
        template.sendBody(WAKE, null);
        await().until(() -> sent().size() == sentInAll);
    }
}
