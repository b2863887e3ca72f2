package dev.taskfarm.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import org.junit.jupiter.api.Test;

import dev.taskfarm.amqp.AmqpMessage;

/**
 * Reply batches (docs/WIRE.md): a coordinator asks for them on its plain requests only, a worker
 * combines only replies to such requests and never a chunk reply, and each reply comes out of a
 * batch exactly as it went in.
 */
class ReplyBatchesTest {

    private final ReplyBatches batches = new ReplyBatches();

    private static AmqpMessage reply(String correlationId, Map<String, Object> headers, String body) {
        return new AmqpMessage("replies", new AMQP.BasicProperties.Builder().correlationId(correlationId)
                .headers(headers).build(), body.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> headers(Object... kv) {
        Map<String, Object> h = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            h.put((String) kv[i], kv[i + 1]);
        }
        return h;
    }

    @Test
    void theCoordinatorAsksOnPlainRequestsOnly() {
        RequestMessages asking = new RequestMessages("replies", 100);
        RequestBatch plain = new RequestBatch("j", "sha256", 10, 1, 0, List.of("{}"));
        RequestBatch chunk = new RequestBatch("j", "sha256", 10, 5, 0, List.of("[{},{},{},{},{}]"));
        assertThat(asking.properties(plain, 0).getHeaders()).containsEntry(Wire.REPLY_BATCH, 100);
        assertThat(asking.properties(chunk, 0).getHeaders()).doesNotContainKey(Wire.REPLY_BATCH);
        assertThat(new RequestMessages("replies").properties(plain, 0).getHeaders()).doesNotContainKey(Wire.REPLY_BATCH);
    }

    @Test
    void onlyRepliesToAskingRequestsAndNeverChunkRepliesAreCombined() {
        assertThat(batches.limit(reply("j:1", headers(Wire.REPLY_BATCH, 50), "1"))).isEqualTo(50);
        assertThat(batches.limit(reply("j:1", headers(), "1"))).isEqualTo(1);
        assertThat(batches.limit(reply("j:0+2", headers(Wire.REPLY_BATCH, 50, Wire.CHUNK_SIZE, 2), "[]"))).isEqualTo(1);
    }

    @Test
    void eachReplyComesOutAsItWentIn() {
        AmqpMessage ok = reply("j:1", headers(Wire.JOB_ID, "j", Wire.TASK_INDEX, 1, Wire.STATUS, "ok",
                Wire.COMPUTE_MICROS, 12L, Wire.WORKER, "pod-1", Wire.WIRE, 1, Wire.REPLY_BATCH, 100), "{\"digest\":\"ab\"}");
        AmqpMessage error = reply("j:2", headers(Wire.JOB_ID, "j", Wire.TASK_INDEX, 2, Wire.STATUS, "error",
                Wire.ERROR, "bad \"task\"", Wire.WORKER, "pod-1", Wire.WIRE, 1), "{\"error\":\"bad \\\"task\\\"\"}");

        AmqpMessage combined = batches.combine(List.of(ok, error));

        assertThat(combined.routingKey()).isEqualTo("replies");
        assertThat(combined.properties().getDeliveryMode()).isEqualTo(2);
        assertThat(combined.properties().getHeaders()).containsEntry(Wire.REPLIES, 2).containsEntry(Wire.WORKER, "pod-1")
                .containsEntry(Wire.WIRE, 1).doesNotContainKey(Wire.JOB_ID);
        List<ReplyBatches.Entry> read = ReplyBatches.read(2, combined.body());
        assertThat(read).hasSize(2);
        assertThat(read.get(0).correlationId()).isEqualTo("j:1");
        assertThat(read.get(0).headers()).containsEntry(Wire.JOB_ID, "j").containsEntry(Wire.TASK_INDEX, 1)
                .containsEntry(Wire.COMPUTE_MICROS, 12).doesNotContainKey(Wire.REPLY_BATCH);
        assertThat(new String(read.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("{\"digest\":\"ab\"}");
        assertThat(read.get(1).headers()).containsEntry(Wire.ERROR, "bad \"task\"");
        assertThat(ReplyReading.read(read.get(1).headers(), read.get(1).correlationId(), read.get(1).body()).tasks())
                .singleElement().satisfies(t -> assertThat(t.error()).isEqualTo("bad \"task\""));
    }

    @Test
    void aBatchThatDoesNotHoldItsCountOfRepliesCannotBeRead() {
        byte[] one = "[{\"correlationId\":\"j:1\",\"headers\":{},\"body\":\"1\"}]".getBytes(StandardCharsets.UTF_8);
        assertThat(ReplyBatches.read(1, one)).hasSize(1);
        assertThat(ReplyBatches.read(2, one)).isNull();
        assertThat(ReplyBatches.read("one", one)).isNull();
        assertThat(ReplyBatches.read(1, "{}".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(ReplyBatches.read(1, "[{\"correlationId\":\"j:1\"}]".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(ReplyBatches.read(1, "[not json".getBytes(StandardCharsets.UTF_8))).isNull();
    }
}
