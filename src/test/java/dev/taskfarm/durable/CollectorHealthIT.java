package dev.taskfarm.durable;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.support.Http;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health tells the truth: while the coordinator cannot record replies (its ledger row is locked by
 * another transaction, so every commit fails) and replies wait on the broker, readiness and then
 * liveness go DOWN; once the ledger answers again the replies are recorded and both are UP.
 */
class CollectorHealthIT {

    static final int REPLIES = 1500;

    @Test
    void readinessAndLivenessGoDownWhileRepliesCannotBeRecorded() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.role", "coordinator")
                .with("taskfarm.health.ready-after", "PT1S").with("taskfarm.health.live-after", "PT2S").start()) {
            Http http = new Http(farm.baseUri());
            JobLedger ledger = farm.context().getRegistry().lookupByNameAndType("jobLedger", JobLedger.class);
            long now = System.currentTimeMillis();
            ledger.register("wedged", "sha256", REPLIES, now, now + 600_000);
            // ready once the consumers have subscribed
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> http.get("/observe/health/ready").statusCode() == 200);

            try (Connection lock = ledger.dataSource().getConnection()) {
                lock.setAutoCommit(false);
                try (Statement st = lock.createStatement()) {
                    st.executeUpdate("UPDATE tf_jobs SET done = done WHERE job_id = 'wedged'");
                }
                try (var c = farm.amqpConnection(); Channel ch = c.createChannel()) {
                    // with confirms, as a worker publishes: a burst published without them and closed
                    // at once can lose its tail on a quorum queue (63 of 1500 once in CI)
                    ch.confirmSelect();
                    for (int i = 0; i < REPLIES; i++) {
                        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json")
                                .correlationId("wedged:" + i)
                                .headers(Map.of("TaskfarmJobId", "wedged", "TaskfarmTaskIndex", i, "TaskfarmStatus", "ok"))
                                .build();
                        ch.basicPublish("", farm.repliesQueue(), props, ("\"r" + i + "\"").getBytes(StandardCharsets.UTF_8));
                    }
                    ch.waitForConfirmsOrDie(60_000);
                }
                // DOWN, and the collector's check is the one that says so
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    var ready = http.get("/observe/health/ready");
                    return ready.statusCode() == 503 && ready.body().contains("taskfarm-collector");
                });
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> http.get("/observe/health/live").statusCode() == 503);
                lock.rollback();
            }

            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> ledger.find("wedged").done() == REPLIES);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the ledger answers again, but after 60 s the job has " + ledger.find("wedged").done()
                        + " of " + REPLIES + " results; replies queue (name, ready, unacknowledged, consumers): "
                        + dev.taskfarm.support.Rabbitmqctl.run("list_queues", "name", "messages_ready",
                                "messages_unacknowledged", "consumers").lines()
                                .filter(l -> l.startsWith(farm.repliesQueue())).toList(), e);
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> http.get("/observe/health/ready").statusCode() == 200
                            && http.get("/observe/health/live").statusCode() == 200);
        }
    }
}
