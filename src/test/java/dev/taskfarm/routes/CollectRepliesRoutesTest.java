package dev.taskfarm.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.spi.Registry;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.collect.GroupCommit;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.collect.LedgerAggregationRepository;
import dev.taskfarm.collect.ReplyBuffer;
import dev.taskfarm.collect.ReplyGate;
import dev.taskfarm.collect.ResultAggregation;
import dev.taskfarm.collect.ResultWriter;
import dev.taskfarm.amqp.AmqpMessage;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.wire.ReplyBatches;
import dev.taskfarm.metrics.FarmMetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * routes/coordinator/40-collect-replies without a broker, on an H2 ledger: the reply gate's rules
 * (duplicates, unknown jobs), the group commit (an exchange completes, and so its reply is
 * acknowledged, only once its result is in the ledger) and the aggregator's completion by size and
 * by the job's deadline.
 */
class CollectRepliesRoutesTest {

    static CamelContext context;
    static ProducerTemplate template;
    static JobLedger ledger;
    static Path outbox;
    /** Job and index of every answer the dispatch hears of (JobProgress's result listener). */
    static final java.util.List<String> answered = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        outbox = Files.createTempDirectory("collect-route-");
        context = RouteFiles.context(Map.of("taskfarm.queue.replies", "t.replies"));
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:collect-route;DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        FarmMetrics metrics = new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1));
        JobProgress progress = new JobProgress(60_000, metrics);
        progress.setResultListener((job, index) -> answered.add(job + ":" + index));
        ReplyBuffer buffer = new ReplyBuffer(ledger, progress, 250, 20,
                context.getExecutorServiceManager().newSingleThreadScheduledExecutor(context, "test-commit"));
        Registry r = context.getRegistry();
        r.bind("replyBuffer", buffer);
        r.bind("computeCosts", new dev.taskfarm.chunk.ComputeCosts());
        r.bind("replyGate", new ReplyGate(buffer, metrics, new dev.taskfarm.chunk.ComputeCosts()));
        r.bind("groupCommit", new GroupCommit(buffer));
        r.bind("resultAggregation", new ResultAggregation());
        r.bind("ledgerRepository", new LedgerAggregationRepository(ledger, buffer));
        r.bind("resultWriter", new ResultWriter(ledger, progress, outbox, Long.MAX_VALUE));
        RouteFiles.load(context, "coordinator/40-collect-replies.camel.yaml");
        RouteFiles.fromDirect(context, "collect-replies", "replies");
        context.start();
        template = context.createProducerTemplate();
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    private static void job(String id, int tasks, long deadlineMs) throws Exception {
        long now = System.currentTimeMillis();
        ledger.register(id, "sha256", tasks, now, now + deadlineMs);
        ledger.markPublished(id);
    }

    private static Exchange reply(String job, int index) {
        return template.send("direct:replies", e -> {
            e.getMessage().setHeader("TaskfarmJobId", job);
            e.getMessage().setHeader("TaskfarmTaskIndex", index);
            e.getMessage().setHeader("TaskfarmStatus", "ok");
            e.getMessage().setHeader("CamelSpringRabbitmqCorrelationId", job + ":" + index);
            e.getMessage().setBody(("\"r" + index + "\"").getBytes());
        });
    }

    private static JsonNode result(String job) throws Exception {
        Path file = outbox.resolve(job + ".result.json");
        await().atMost(Duration.ofMinutes(1)).until(() -> Files.exists(file));
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void aReplyCompletesOnlyOnceItsResultIsDurable() throws Exception {
        job("durable", 5, 60_000);
        Exchange done = reply("durable", 0);
        assertThat(done.isFailed()).isFalse();
        assertThat(ledger.find("durable").done()).as("recorded before the exchange completed").isEqualTo(1);
    }

    @Test
    void aJobCompletesWhenEveryTaskHasAResult() throws Exception {
        job("three", 3, 60_000);
        for (int i = 0; i < 3; i++) {
            reply("three", i);
        }
        JsonNode r = result("three");
        assertThat(r.get("status").asText()).isEqualTo("completed");
        assertThat(r.get("succeeded").asInt()).isEqualTo(3);
        assertThat(r.at("/results/2/result").asText()).isEqualTo("r2");
    }

    @Test
    void aDuplicateIsDroppedAndAcknowledged() throws Exception {
        job("dup", 4, 60_000);
        reply("dup", 1);
        Exchange second = reply("dup", 1);
        assertThat(second.isFailed()).as("acknowledged, not requeued").isFalse();
        assertThat(second.getMessage().getHeader("TaskfarmVerdict", String.class)).contains("duplicate");
        assertThat(ledger.find("dup").done()).isEqualTo(1);
    }

    /**
     * A duplicate still answers its task for the dispatch: after a re-drive the task's new request
     * is in the job's window, and when the result recorded was the earlier copy's (recorded before
     * the re-drive created the window), the duplicate is the only answer that window hears.
     * Without it the task stays in flight in the window for good (ConnectionLossIT crawled at 20
     * tasks/s after a re-drive, its window full of such tasks).
     */
    @Test
    void aDuplicateReplyStillTellsTheDispatchItsTaskIsAnswered() throws Exception {
        job("again", 4, 60_000);
        reply("again", 2);
        reply("again", 2);
        assertThat(answered).filteredOn("again:2"::equals).as("the result and its duplicate").hasSize(2);
    }

    @Test
    void aReplyForAnUnknownJobIsDroppedAndAcknowledged() {
        Exchange e = reply("never-submitted", 0);
        assertThat(e.isFailed()).isFalse();
        assertThat(e.getMessage().getHeader("TaskfarmVerdict", String.class)).contains("unknown job");
    }

    @Test
    void aJobWhoseDeadlinePassesEndsTimedOut() throws Exception {
        job("late", 2, 1500);
        reply("late", 0);
        JsonNode r = result("late");
        assertThat(r.get("status").asText()).isEqualTo("timed_out");
        assertThat(r.get("succeeded").asInt()).isEqualTo(1);
    }

    /** A worker's reply, as its reply endpoint would publish it alone. */
    private static AmqpMessage alone(String job, int index, String status, String body) {
        Map<String, Object> h = new java.util.HashMap<>();
        h.put("TaskfarmJobId", job);
        h.put("TaskfarmTaskIndex", index);
        h.put("TaskfarmStatus", status);
        h.put("TaskfarmWire", 1);
        h.put("TaskfarmWorker", "w1");
        h.put("TaskfarmReplyBatch", 100);
        return new AmqpMessage("t.replies", new AMQP.BasicProperties.Builder().correlationId(job + ":" + index)
                .headers(h).build(), body.getBytes());
    }

    private static Exchange batch(AmqpMessage combined) {
        return template.send("direct:replies", e -> {
            combined.properties().getHeaders().forEach(e.getMessage()::setHeader);
            e.getMessage().setBody(combined.body());
        });
    }

    /**
     * A reply batch (docs/WIRE.md) is read reply by reply, as if each had come alone: the
     * duplicate inside it is dropped, the malformed one is a failed task, the others are results,
     * and the batch's exchange (so its delivery's ack) completes once they are in the ledger.
     */
    @Test
    void aReplyBatchCountsEachOfItsRepliesOnce() throws Exception {
        job("batched", 4, 60_000);
        reply("batched", 0);
        AmqpMessage combined = new ReplyBatches().combine(java.util.List.of(
                alone("batched", 0, "ok", "\"again\""),
                alone("batched", 1, "ok", "\"r1\""),
                alone("batched", 2, "ok", "not json"),
                alone("batched", 3, "error", "{\"error\":\"boom\"}")));
        assertThat(combined.properties().getHeaders()).containsEntry("TaskfarmReplies", 4);
        Exchange done = batch(combined);
        assertThat(done.isFailed()).isFalse();
        assertThat(ledger.find("batched").done()).as("recorded before the exchange completed").isEqualTo(4);
        JsonNode r = result("batched");
        assertThat(r.get("status").asText()).as("two failed tasks").isEqualTo("partial");
        assertThat(r.at("/results/0/result").asText()).as("the first answer counts").isEqualTo("r0");
        assertThat(r.at("/results/1/result").asText()).isEqualTo("r1");
        assertThat(r.at("/results/2/status").asText()).isEqualTo("error");
        assertThat(r.at("/results/2/error").asText()).contains("not JSON");
        assertThat(r.at("/results/3/error").asText()).isEqualTo("boom");
    }

    @Test
    void aReplyBatchThatCannotBeReadIsDroppedAndAcknowledged() throws Exception {
        job("garbled", 2, 60_000);
        Exchange e = template.send("direct:replies", x -> {
            x.getMessage().setHeader("TaskfarmReplies", 2);
            x.getMessage().setBody("[{\"correlationId\":\"garbled:0\"}]".getBytes());
        });
        assertThat(e.isFailed()).as("acknowledged, not requeued for ever").isFalse();
        assertThat(ledger.find("garbled").done()).isZero();
    }
}
