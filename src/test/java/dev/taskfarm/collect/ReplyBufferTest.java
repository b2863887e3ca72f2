package dev.taskfarm.collect;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.TaskResult;
import dev.taskfarm.metrics.FarmMetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The collector's group commit on an H2 ledger: what a failed commit does to the replies it holds. */
class ReplyBufferTest {

    JobLedger ledger;
    JdbcDataSource ds;
    ScheduledExecutorService timer;
    ReplyBuffer buffer;

    @BeforeEach
    void setUp() throws Exception {
        ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:reply-buffer-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        timer = Executors.newSingleThreadScheduledExecutor();
        FarmMetrics metrics = new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                Duration.ofMinutes(1));
        buffer = new ReplyBuffer(ledger, new JobProgress(60_000, metrics), 250, 5, timer);
        long now = System.currentTimeMillis();
        ledger.register("j", "sha256", 10, now, now + 60_000);
    }

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
    }

    private void failEveryCommit() throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE tf_results");
        }
    }

    /**
     * A commit that fails (the ledger refuses or does not answer) keeps the reply waiting, its
     * delivery unacknowledged, and is tried again until the ledger answers: the reply then
     * completes with its result recorded. Before, the results were discarded and the replies
     * requeued by the hundred; CollectorHealthIT saw some of them never recorded.
     */
    @Test
    void aReplyWhoseCommitFailsWaitsAndCompletesOnceTheLedgerAnswers() throws Exception {
        failEveryCommit();
        buffer.add("j", new TaskResult(3, true, "\"r3\"", null, "w"));
        Exchange reply = new DefaultExchange(new DefaultCamelContext());
        AtomicBoolean completed = new AtomicBoolean();
        buffer.whenDurable(reply, sync -> completed.set(true));
        assertThat(completed).as("waits for the commit").isFalse();

        ledger.createSchema(); // the ledger answers again
        await().atMost(Duration.ofSeconds(30)).untilTrue(completed);
        assertThat(reply.getException()).isNull();
        assertThat(ledger.hasResult("j", 3)).isTrue();
        assertThat(ledger.find("j").done()).isEqualTo(1);
    }

    @Test
    void whileTheLedgerFailsEveryReplyWaitsAndNoneIsLost() throws Exception {
        failEveryCommit();
        List<AtomicBoolean> completions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            buffer.add("j", new TaskResult(i, true, "\"r" + i + "\"", null, "w"));
            AtomicBoolean done = new AtomicBoolean();
            completions.add(done);
            buffer.whenDurable(new DefaultExchange(new DefaultCamelContext()), sync -> done.set(true));
        }
        assertThat(completions).noneMatch(AtomicBoolean::get);
        ledger.createSchema();
        await().atMost(Duration.ofSeconds(30)).until(() -> completions.stream().allMatch(AtomicBoolean::get));
        assertThat(ledger.find("j").done()).isEqualTo(10);
    }
}
