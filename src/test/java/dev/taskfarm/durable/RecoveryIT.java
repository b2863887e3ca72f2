package dev.taskfarm.durable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Recovery is idempotent: an inbox file that belongs to a known job (a crash between publishing
 * and moving the file leaves it in the inbox) goes where that job's outcome says, and a result file
 * that was written before a crash is final.
 */
class RecoveryIT {

    @Test
    void theInputOfAKnownJobMovesToDoneAndAnotherFileWithItsIdIsRefused() throws Exception {
        try (TestFarm farm = TestFarm.onEmbeddedBroker().start()) {
            String job = Jobs.shaJob("sha256", 5, 1).toString();
            farm.submit("again.json", job);
            farm.awaitResult("again", Duration.ofSeconds(60));
            // the intake ends once the job is handed to the dispatch: its file's move is not ordered with the job's end
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(farm.inbox().resolve(".done/again.json")));
            Files.delete(farm.inbox().resolve(".done/again.json"));
            Path error = farm.inbox().resolve(".error/again.json.error.txt");

            // the same file again, as after a crash before it was moved
            farm.submit("again.json", job);
            await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(farm.inbox().resolve("again.json")));
            assertThat(farm.inbox().resolve(".done/again.json")).exists();
            assertThat(error).as("the job's own input is not an error").doesNotExist();

            // a different job under the same id is still refused
            farm.submit("again.json", Jobs.shaJob("sha256", 6, 1).toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(error));
            assertThat(Files.readString(error)).contains("already submitted");
        }
    }

    @Test
    void aResultFileWrittenBeforeACrashIsNotRewritten() throws Exception {
        try (TestFarm farm = TestFarm.onEmbeddedBroker().start()) {
            farm.submit("final.json", Jobs.shaJob("sha256", 5, 1).toString());
            farm.awaitResult("final", Duration.ofSeconds(60));
            Path result = farm.outbox().resolve("final.result.json");
            byte[] written = Files.readAllBytes(result);
            JobLedger ledger = farm.context().getRegistry().lookupByNameAndType("jobLedger", JobLedger.class);

            // a crash after the result file was renamed into place, before the ledger recorded it
            try (var c = ledger.dataSource().getConnection(); var st = c.createStatement()) {
                st.executeUpdate("UPDATE tf_jobs SET status = 'completing', result_path = NULL WHERE job_id = 'final'");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> ledger.find("final").isFinal());

            JobRow job = ledger.find("final");
            assertThat(job.status()).isEqualTo("completed");
            assertThat(job.resultPath()).isEqualTo(result.toString());
            assertThat(Files.readAllBytes(result)).as("the result file is final").isEqualTo(written);
        }
    }
}
