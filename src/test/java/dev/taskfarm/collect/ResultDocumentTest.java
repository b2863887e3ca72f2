package dev.taskfarm.collect;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.ledger.TaskResult;
import dev.taskfarm.support.Http;

import static org.assertj.core.api.Assertions.assertThat;

class ResultDocumentTest {

    JobLedger ledger;
    ResultDocument document;

    @BeforeEach
    void ledger() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        ledger = new JobLedger(ds);
        ledger.createSchema();
        document = new ResultDocument(ledger);
        ledger.register("j", "sha256", 4, 1000, 100_000);
        ledger.record("j", new TaskResult(0, true, "\"h0\"", null, "w"));
        ledger.record("j", new TaskResult(2, false, null, "boom", "w"));
    }

    String write(JobRow job, String status, long finishedAt, ResultDocument.Format format, String only) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        document.write(out, job, status, finishedAt, format, only);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFinishedJobListsEveryIndexWithMissingOnes() throws Exception {
        JsonNode doc = Http.parse(write(ledger.find("j"), "timed_out", 5000, ResultDocument.Format.JSON, null));
        assertThat(doc.path("status").asText()).isEqualTo("timed_out");
        assertThat(doc.path("succeeded").asInt()).isEqualTo(1);
        assertThat(doc.path("failed").asInt()).isEqualTo(1);
        assertThat(doc.path("missing").asInt()).isEqualTo(2);
        assertThat(doc.path("results").findValuesAsText("status")).containsExactly("ok", "missing", "error", "missing");
        assertThat(doc.at("/results/0/result").asText()).isEqualTo("h0");
        assertThat(doc.at("/results/2/error").asText()).isEqualTo("boom");
        assertThat(doc.path("finishedAt").asText()).isEqualTo("1970-01-01T00:00:05Z");
    }

    @Test
    void aRunningJobShowsWhatIsRecordedSoFar() throws Exception {
        JsonNode doc = Http.parse(write(ledger.find("j"), "running", 0, ResultDocument.Format.JSON, null));
        assertThat(doc.path("pending").asInt()).isEqualTo(2);
        assertThat(doc.has("finishedAt")).isFalse();
        assertThat(doc.path("results")).hasSize(2);
    }

    @Test
    void ndjsonIsOneResultPerLineAndFilters() throws Exception {
        List<String> all = write(ledger.find("j"), "partial", 5000, ResultDocument.Format.NDJSON, null).lines().toList();
        assertThat(all).hasSize(4);
        assertThat(Http.parse(all.get(1)).path("status").asText()).isEqualTo("missing");
        List<String> errors = write(ledger.find("j"), "partial", 5000, ResultDocument.Format.NDJSON, "error").lines().toList();
        assertThat(errors).hasSize(1);
        assertThat(Http.parse(errors.get(0)).path("index").asInt()).isEqualTo(2);
        assertThat(write(ledger.find("j"), "running", 0, ResultDocument.Format.NDJSON, "missing")).isEmpty();
    }
}
