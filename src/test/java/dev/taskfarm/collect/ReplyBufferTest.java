package dev.taskfarm.collect;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
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

/** The collector's group commit on an H2 ledger: what a failed commit does to the replies it held. */
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
     * The commit timer can run between the aggregator adding a reply's result and the reply's
     * exchange reaching the group-commit step. If that commit fails, the result is discarded: the
     * reply must then fail too (and be requeued), not complete as if its result were durable.
     */
    @Test
    void aReplyWhoseResultAFailedCommitDiscardedBeforeItWaitedFailsAndIsRequeued() throws Exception {
        failEveryCommit();
        buffer.add("j", new TaskResult(3, true, "\"r3\"", null, "w"));
        // the timer's commit failed and discarded the waiting result
        await().atMost(Duration.ofSeconds(30)).until(() -> buffer.count("j") == 0);

        Exchange reply = new DefaultExchange(new DefaultCamelContext());
        AtomicBoolean completed = new AtomicBoolean();
        buffer.whenDurable(reply, sync -> completed.set(true));

        assertThat(completed).isTrue();
        assertThat(reply.getException()).as("the reply is requeued, its result is not in the ledger").isNotNull();
    }

    @Test
    void aReplyAfterTheFailureThatAddedNothingCompletes() throws Exception {
        failEveryCommit();
        buffer.add("j", new TaskResult(3, true, "\"r3\"", null, "w"));
        await().atMost(Duration.ofSeconds(30)).until(() -> buffer.count("j") == 0);
        buffer.whenDurable(new DefaultExchange(new DefaultCamelContext()), sync -> { });

        Exchange duplicate = new DefaultExchange(new DefaultCamelContext()); // a dropped reply: nothing to record
        buffer.whenDurable(duplicate, sync -> { });
        assertThat(duplicate.getException()).isNull();
    }
}
