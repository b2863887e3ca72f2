package dev.taskfarm.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.taskfarm.wire.ReplyReading.Reading;
import dev.taskfarm.wire.ReplyReading.TaskOutcome;

/**
 * How the coordinator reads a reply (docs/WIRE.md "Malformed replies"): the correlation id names
 * the task, the headers must agree, and every way of breaking the contract becomes a failed task
 * with a reason, never a dropped reply or an invalid JSON result.
 */
class ReplyReadingTest {

    static Map<String, Object> headers(Object... kv) {
        Map<String, Object> h = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            h.put((String) kv[i], kv[i + 1]);
        }
        return h;
    }

    static Map<String, Object> ok(String job, int index) {
        return headers(Wire.JOB_ID, job, Wire.TASK_INDEX, index, Wire.STATUS, "ok");
    }

    static Reading read(Map<String, Object> h, String correlationId, String body) {
        return ReplyReading.read(h, correlationId, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    static TaskOutcome only(Reading r) {
        assertThat(r.tasks()).hasSize(1);
        return r.tasks().get(0);
    }

    @Test
    void aWellFormedReplyIsOneOkOutcomeWithItsJsonBody() {
        Reading r = read(ok("j", 3), "j:3", "{\"a\": 1}");

        assertThat(r.malformed()).isFalse();
        assertThat(only(r)).isEqualTo(new TaskOutcome("j", 3, true, "{\"a\": 1}", null));
    }

    @Test
    void versionOneOrNoVersionIsAccepted() {
        Map<String, Object> h = ok("j", 3);
        h.put(Wire.WIRE, 1);
        assertThat(read(h, "j:3", "1").malformed()).isFalse();
        h.put(Wire.WIRE, "1");
        assertThat(read(h, "j:3", "1").malformed()).isFalse();
        h.put(Wire.WIRE, 2);
        assertThat(read(h, "j:3", "1").problem()).isEqualTo(ReplyReading.VERSION);
    }

    @Test
    void headersThatDisagreeWithTheCorrelationIdFailTheCorrelatedTask() {
        Reading r = read(ok("j", 9), "j:6", "\"digest of 6\"");

        assertThat(r.problem()).isEqualTo(ReplyReading.CORRELATION);
        TaskOutcome t = only(r);
        assertThat(t.index()).isEqualTo(6);
        assertThat(t.ok()).isFalse();
        assertThat(t.error()).contains("disagree", "TaskfarmTaskIndex=9", "j:6");
    }

    @Test
    void aBodyThatIsNotOneJsonValueFailsTheTask() {
        assertThat(only(read(ok("j", 1), "j:1", "5e77db95")).error()).contains("not JSON");
        assertThat(read(ok("j", 1), "j:1", "").problem()).isEqualTo(ReplyReading.BODY);
        assertThat(read(ok("j", 1), "j:1", "{} {}").problem()).isEqualTo(ReplyReading.BODY);
        assertThat(read(ok("j", 1), "j:1", "\"5e77db95\"").malformed()).isFalse();
    }

    @Test
    void missingHeadersOrAnUnknownStatusFailTheTask() {
        Reading noHeaders = read(new HashMap<>(), "j:2", "{}");
        assertThat(noHeaders.problem()).isEqualTo(ReplyReading.HEADERS);
        assertThat(only(noHeaders).index()).isEqualTo(2);
        assertThat(only(noHeaders).error()).contains(Wire.JOB_ID);

        Map<String, Object> shouting = ok("j", 2);
        shouting.put(Wire.STATUS, "OK");
        assertThat(only(read(shouting, "j:2", "{}")).error()).contains("must be ok or error, got OK");

        Map<String, Object> noIndex = ok("j", 2);
        noIndex.put(Wire.TASK_INDEX, "two");
        assertThat(only(read(noIndex, "j:2", "{}")).error()).contains(Wire.TASK_INDEX, "integer");
    }

    @Test
    void withoutACorrelationIdTheHeadersNameTheFailedTask() {
        Reading r = read(ok("j", 4), null, "{}");

        assertThat(r.problem()).isEqualTo(ReplyReading.CORRELATION);
        assertThat(only(r).index()).isEqualTo(4);
        assertThat(only(r).error()).contains("correlation_id missing");
    }

    @Test
    void aReplyThatNamesNoTaskHasNoOutcome() {
        Reading r = read(headers(Wire.STATUS, "ok"), "garbage", "{}");

        assertThat(r.problem()).isEqualTo(ReplyReading.UNATTRIBUTABLE);
        assertThat(r.tasks()).isEmpty();
    }

    @Test
    void theErrorTextComesFromTheHeaderElseTheBodyAndIsCutTo1000Characters() {
        Map<String, Object> h = headers(Wire.JOB_ID, "j", Wire.TASK_INDEX, 0, Wire.STATUS, "error");
        assertThat(only(read(h, "j:0", "{\"error\": \"" + "y".repeat(1500) + "\"}")).error()).hasSize(1000);
        assertThat(only(read(h, "j:0", "not json")).error()).startsWith("error reply without a reason");
        h.put(Wire.ERROR, "from the header");
        Reading r = read(h, "j:0", "{\"error\": \"from the body\"}");
        assertThat(r.malformed()).isFalse();
        assertThat(only(r).error()).isEqualTo("from the header");
    }

    @Test
    void aChunkReplyNeedsTheRightChunkSize() {
        Map<String, Object> h = ok("j", 4);
        String body = "[{\"status\":\"ok\",\"result\":1},{\"status\":\"ok\",\"result\":2}]";

        Reading missing = read(h, "j:4+2", body);
        assertThat(missing.problem()).isEqualTo(ReplyReading.CHUNK_SIZE);
        assertThat(missing.tasks()).extracting(TaskOutcome::index).containsExactly(4, 5);
        assertThat(missing.tasks()).allMatch(t -> !t.ok() && t.error().contains("TaskfarmChunkSize missing"));

        h.put(Wire.CHUNK_SIZE, 3);
        assertThat(read(h, "j:4+2", body).tasks()).allMatch(t -> t.error().contains("TaskfarmChunkSize=3 disagrees"));

        h.put(Wire.CHUNK_SIZE, 2);
        Reading good = read(h, "j:4+2", body);
        assertThat(good.malformed()).isFalse();
        assertThat(good.tasks()).extracting(TaskOutcome::result).containsExactly("1", "2");
    }

    @Test
    void oneBadOutcomeInsideAChunkFailsOnlyThatTask() {
        Map<String, Object> h = ok("j", 0);
        h.put(Wire.CHUNK_SIZE, 3);

        Reading r = read(h, "j:0+3", "[{\"status\":\"ok\"},{\"status\":\"error\",\"error\":\"boom\"},{\"status\":\"ok\",\"result\":[1]}]");

        assertThat(r.problem()).isEqualTo(ReplyReading.BODY);
        assertThat(r.tasks().get(0).error()).contains("outcome 0");
        assertThat(r.tasks().get(1).error()).isEqualTo("boom");
        assertThat(r.tasks().get(2).result()).isEqualTo("[1]");
        assertThat(read(h, "j:0+3", "[1,2]").tasks()).allMatch(t -> t.error().contains("JSON array of 3 outcomes"));
    }

    @Test
    void aWholeChunkErrorFailsEveryTaskWithItsReason() {
        Map<String, Object> h = headers(Wire.JOB_ID, "j", Wire.TASK_INDEX, 10, Wire.CHUNK_SIZE, 2, Wire.STATUS, "error");

        Reading r = read(h, "j:10+2", "{\"error\": \"no such compute\"}");

        assertThat(r.tasks()).extracting(TaskOutcome::index).containsExactly(10, 11);
        assertThat(r.tasks()).allMatch(t -> "no such compute".equals(t.error()));
    }
}
