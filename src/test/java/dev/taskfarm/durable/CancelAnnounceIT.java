package dev.taskfarm.durable;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;
import dev.taskfarm.work.CancelledJobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Control messages are reliable: a job is cancelled while no worker is connected (the broadcast
 * reaches nobody); a worker that starts afterwards still learns that the job is cancelled, from
 * the coordinator's re-announcement.
 */
class CancelAnnounceIT {

    @Test
    void aWorkerThatStartsAfterACancelLearnsAboutIt() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        try (TestFarm coordinator = TestFarm.onTestBroker().with("taskfarm.role", "coordinator")
                .with("taskfarm.cancel.announce-interval-ms", "500").start()) {
            JobLedger ledger = coordinator.context().getRegistry().lookupByNameAndType("jobLedger", JobLedger.class);
            coordinator.submit("gone.json", Jobs.shaJob("sha256", 50, 1).toString());
            var dispatcher = coordinator.context().getRegistry().lookupByNameAndType("jobDispatcher",
                    dev.taskfarm.dispatch.Dispatcher.class);
            // no worker: the job's first window is on the queue
            await().atMost(Duration.ofSeconds(60)).until(() -> ledger.find("gone") != null && dispatcher.view("gone") != null
                    && dispatcher.view("gone").path("inFlight").asLong() > 0);
            assertThat(new Http(coordinator.baseUri()).delete("/jobs/gone").statusCode()).isEqualTo(200);

            try (TestFarm worker = coordinator.sibling().with("taskfarm.role", "worker").with("test.keep-queues", "true")
                    .start()) {
                CancelledJobs cancelled = worker.context().getRegistry().lookupByNameAndType("cancelledJobs",
                        CancelledJobs.class);
                await().atMost(Duration.ofSeconds(60)).until(() -> cancelled.isCancelled("gone"));
            }
        }
    }
}
