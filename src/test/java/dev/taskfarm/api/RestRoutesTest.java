package dev.taskfarm.api;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.chunk.ChunkSizer;
import dev.taskfarm.chunk.ComputeCosts;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.support.Http;
import dev.taskfarm.wire.ControlMessages;
import dev.taskfarm.wire.Wire;
import dev.taskfarm.work.CancelledJobs;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST route files (12-intake-rest, 13-rest-errors, 60-api-jobs, 61-api-cancel, 62-jobs-page)
 * over real HTTP, without a broker: the routes they hand over to (the dispatch route's
 * seda:dispatch, direct:aggregate-results) are stand-ins and the control exchange is a mock endpoint. An
 * in-memory H2 ledger holds the jobs.
 */
// one context for all tests (they use distinct job ids)
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class RestRoutesTest extends CamelMainTestSupport {

    static final int PORT = freePort();
    final Path spool = Path.of("target/rest-routes-test-" + UUID.randomUUID());
    JobLedger ledger;
    dev.taskfarm.dispatch.Dispatcher dispatcher;
    Http http = new Http(URI.create("http://127.0.0.1:" + PORT));

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected String getPropertyPlaceholderLocations() {
        return "classpath:rest-routes-test.properties";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = new Properties();
        p.setProperty("camel.server.port", String.valueOf(PORT));
        return p;
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern(String.join(",", "file:routes/coordinator/12-intake-rest.camel.yaml",
                "file:routes/coordinator/13-rest-errors.camel.yaml", "file:routes/coordinator/60-api-jobs.camel.yaml",
                "file:routes/coordinator/61-api-cancel.camel.yaml", "file:routes/coordinator/62-jobs-page.camel.yaml"));
        configuration.addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                // what the rest of the coordinator does with a job: publish it, and close it when cancelled
                from("seda:dispatch?size=1&discardWhenFull=true").routeId("stand-in-dispatch").to("mock:publish");
                from("direct:aggregate-results").routeId("stand-in-aggregate").to("mock:aggregate")
                        .process(e -> {
                            String id = e.getMessage().getHeader(Wire.JOB_ID, String.class);
                            ledger.claimCompletion(id, "cancel");
                            ledger.finish(id, "cancelled", null, System.currentTimeMillis());
                        });
            }
        });
    }

    @Override
    public String isMockEndpointsAndSkip() {
        return "spring-rabbitmq:*";
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        JobProgress progress = new JobProgress(60_000, new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1)));
        CancelledJobs cancelled = new CancelledJobs(Duration.ofHours(1), 100);
        // one task per message: nothing here measures compute costs
        ChunkPlanner chunks = new ChunkPlanner(new ComputeCosts(), new ChunkSizer(5_000, 4, 500), compute -> 1, 0);
        JobIntake intake = new JobIntake(ledger, new ComputeRegistry(context, ""), progress, "sha256",
                Duration.ofMinutes(15), 1, 100, chunks);
        registry.bind("jobIntake", intake);
        dispatcher = new dev.taskfarm.dispatch.Dispatcher(intake, ledger, compute -> 1, 500, 1000, 100, 500, 2);
        registry.bind("jobDispatcher", dispatcher);
        registry.bind("jobApi", new JobApi(ledger, progress, new BodySpool(spool, 1_000_000, Duration.ofSeconds(30)),
                cancelled, 1000, chunks).dispatcher(dispatcher));
        registry.bind("controlMessages", new ControlMessages(cancelled::add));
        registry.bind("apiErrors", new ApiErrors());
        registry.bind("webPage", new WebPage());
        context.addStartupListener(new HttpErrors());
        // never connected: the control exchange's endpoint is a mock here
        registry.bind("connectionFactory", new CachingConnectionFactory("127.0.0.1", 1));
    }

    @Test
    void aJobIsAcceptedRegisteredAndHandedToPublishing() throws Exception {
        resetMocksOnceQuiet();
        MockEndpoint publish = getMockEndpoint("mock:publish");
        publish.expectedMessageCount(1);
        publish.expectedHeaderReceived(Wire.JOB_ID, "rest-ok");
        publish.expectedHeaderReceived(Wire.TASK_COUNT, 2);

        HttpResponse<String> r = http.postJson("/jobs?id=rest-ok", "[{\"seed\":\"a\"},{\"seed\":\"b\"}]");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.headers().firstValue("Location")).hasValue("/jobs/rest-ok");
        publish.assertIsSatisfied();
        assertThat(ledger.find("rest-ok").total()).isEqualTo(2);
        // accepted and kept: the dispatcher has it, nothing is sent yet (the dispatch route is a stand-in)
        assertThat(dispatcher.dispatching("rest-ok")).isTrue();
        JsonNode view = Http.parse(http.get("/jobs/rest-ok").body());
        assertThat(view.path("status").asText()).isEqualTo("running");
        assertThat(view.path("priority").asInt()).isEqualTo(1);
        assertThat(view.path("dispatch").path("published").asInt()).isZero();
        assertThat(view.path("dispatch").path("state").asText()).isEqualTo("sending");
        assertThat(Http.parse(http.get("/jobs?status=running").body()).path("jobs").findValuesAsText("id")).contains("rest-ok");
        try (var files = Files.list(spool)) {
            assertThat(files).as("the spooled body is deleted").isEmpty();
        }
    }

    @Test
    void aJobsPriorityComesFromTheQueryParameterUnlessItsInputNamesOne() throws Exception {
        HttpResponse<String> r = http.postJson("/jobs?id=rest-prio&priority=7", "[{\"seed\":\"a\"}]");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(Http.parse(r.body()).path("priority").asInt()).isEqualTo(7);
        assertThat(ledger.find("rest-prio").priority()).isEqualTo(7);

        r = http.postJson("/jobs?id=rest-prio-file&priority=7", "{\"priority\": 3, \"tasks\": [{\"seed\":\"a\"}]}");
        assertThat(Http.parse(r.body()).path("priority").asInt()).isEqualTo(3);
    }

    @Test
    void refusedRequestsAnswerJsonErrorsAndPublishNothing() throws Exception {
        resetMocksOnceQuiet();
        MockEndpoint publish = getMockEndpoint("mock:publish");
        publish.expectedMessageCount(0);

        assertError(http.postJson("/jobs", "{\"taks\":[{}]}"), 400, "unknown field taks; did you mean tasks?");
        assertError(http.post("/jobs", "text/plain", "[{}]"), 415, "Content-Type");
        assertError(http.get("/jobs?status=bogus"), 400, "status must be one of");
        assertError(http.postJson("/jobs?id=rest-p0&priority=0", "[{}]"), 400,
                "\"priority\" must be a whole number from 1 to 100");
        assertError(http.postJson("/jobs?id=rest-px&priority=high", "[{}]"), 400, "got \"high\"");
        assertError(http.postJson("/jobs?id=rest-pf", "{\"priority\": 1.5, \"tasks\": [{}]}"), 400,
                "\"priority\" must be a whole number from 1 to 100");
        assertError(http.get("/jobs?limt=3"), 400, "unknown query parameter limt; did you mean limit?");
        assertError(http.get("/jobs/nope"), 404, "no job");
        assertError(http.get("/jobs/nope/results"), 404, "no job");
        assertError(http.delete("/jobs/nope"), 404, "no job");

        publish.assertIsSatisfied();
        assertThat(ledger.recent(10, null)).extracting(JobRow::jobId).allMatch(id -> id.startsWith("rest-"));
    }

    @Test
    void cancelClosesTheJobThroughTheAggregatorAndTellsTheWorkers() throws Exception {
        ledger.register("rest-cancel", "sha256", 5, System.currentTimeMillis(), System.currentTimeMillis() + 60_000);
        resetMocksOnceQuiet();
        MockEndpoint aggregate = getMockEndpoint("mock:aggregate");
        aggregate.expectedHeaderReceived("TaskfarmClose", "cancel");
        MockEndpoint control = getMockEndpoint("mock:spring-rabbitmq:test.control");
        control.expectedMessageCount(1);

        HttpResponse<String> r = http.delete("/jobs/rest-cancel");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Http.parse(r.body()).path("status").asText()).isEqualTo("cancelled");
        aggregate.assertIsSatisfied();
        control.assertIsSatisfied();
        assertThat(ledger.find("rest-cancel").status()).isEqualTo("cancelled");
        assertError(http.delete("/jobs/rest-cancel"), 409, "already ended");
    }

    @Test
    void theJobsPageAndTheOpenApiDocumentAreServed() throws Exception {
        HttpResponse<String> page = http.get("/ui/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<html");
        JsonNode api = Http.parse(http.get("/openapi.json").body());
        assertThat(api.at("/components/schemas").has("Job")).isTrue();
        assertThat(http.get("/").statusCode()).isIn(301, 302, 303, 307, 308);
    }

    @Test
    void theFarmViewSaysWhatItKnows() throws Exception {
        // no queue sampled yet (no broker here): no queues, no slots, the configured consumers per worker
        HttpResponse<String> r = http.get("/farm");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode farm = Http.parse(r.body());
        assertThat(farm.path("queues")).isEmpty();
        assertThat(farm.path("slots").asInt()).isZero();
        assertThat(farm.path("workers").asInt()).isZero();
        assertThat(farm.path("consumersPerWorker").asInt()).isEqualTo(4);
        assertError(http.get("/farm?x=1"), 400, "unknown query parameter x");
    }

    static void assertError(HttpResponse<String> r, int status, String message) throws java.io.IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = Http.parse(r.body());
        assertThat(e.path("status").asInt()).isEqualTo(status);
        assertThat(e.path("error").asText()).contains(message);
    }


    /**
     * The intake wakes the dispatch with a wire tap, which runs on after the 202: a test's mocks
     * are reset only once the wakeups of the tests before it have arrived, or those count in it.
     */
    private void resetMocksOnceQuiet() {
        org.awaitility.Awaitility.await().until(() -> context.getInflightRepository().size() == 0
                && context.getEndpoints().stream().filter(e -> e instanceof org.apache.camel.component.seda.SedaEndpoint)
                        .allMatch(e -> ((org.apache.camel.component.seda.SedaEndpoint) e).getQueue().isEmpty()));
        MockEndpoint.resetMocks(context);
    }
}
