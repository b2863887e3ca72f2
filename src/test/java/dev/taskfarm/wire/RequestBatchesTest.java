package dev.taskfarm.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;

import com.rabbitmq.client.AMQP;
import org.junit.jupiter.api.Test;

/**
 * The publish route's batches: every task index exactly once, in order, with the wire contract's
 * properties on each message, and the job file closed when the splitter closes the batches.
 */
class RequestBatchesTest {

    private final RequestMessages messages = new RequestMessages("replies-q");

    @Test
    void oneMessagePerTaskInBatchesOfTheConfiguredSize() {
        List<RequestBatch> batches = drain(new RequestBatches(bodies(250), "job-1", "sha256", 250, 1, 100));

        assertThat(batches).extracting(b -> b.bodies().size()).containsExactly(100, 100, 50);
        assertThat(batches).extracting(RequestBatch::firstIndex).containsExactly(0, 100, 200);
        assertThat(batches).extracting(RequestBatch::tasks).containsExactly(100, 100, 50);
        RequestBatch last = batches.get(2);
        AMQP.BasicProperties p = messages.properties(last, 49);
        assertThat(p.getCorrelationId()).isEqualTo("job-1:249");
        assertThat(p.getReplyTo()).isEqualTo("replies-q");
        assertThat(p.getDeliveryMode()).isEqualTo(2);
        assertThat(p.getContentType()).isEqualTo(Wire.CONTENT_TYPE_JSON);
        assertThat(p.getHeaders()).containsEntry(Wire.JOB_ID, "job-1").containsEntry(Wire.TASK_INDEX, 249)
                .containsEntry(Wire.TASK_COUNT, 250).containsEntry(Wire.COMPUTE, "sha256")
                .containsEntry(Wire.ATTEMPT, 1).doesNotContainKey(Wire.CHUNK_SIZE);
        assertThat(new String(messages.body(last, 49), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"index\":249}");
    }

    @Test
    void chunkedMessagesCarryTheirFirstIndexAndSizeAndTheLastChunkIsShorter() {
        // 25 tasks in chunks of 10: messages 0+10, 10+10, 20+5, two messages per batch
        List<String> chunks = List.of("[c0]", "[c1]", "[c2]");
        List<RequestBatch> batches = drain(new RequestBatches(chunks.iterator(), "job-2", "echo", 25, 10, 2));

        assertThat(batches).extracting(RequestBatch::firstIndex).containsExactly(0, 20);
        assertThat(batches).extracting(RequestBatch::tasks).containsExactly(20, 5);
        AMQP.BasicProperties second = messages.properties(batches.get(0), 1);
        assertThat(second.getCorrelationId()).isEqualTo("job-2:10+10");
        assertThat(second.getHeaders()).containsEntry(Wire.TASK_INDEX, 10).containsEntry(Wire.CHUNK_SIZE, 10);
        AMQP.BasicProperties lastChunk = messages.properties(batches.get(1), 0);
        assertThat(lastChunk.getCorrelationId()).isEqualTo("job-2:20+5");
        assertThat(lastChunk.getHeaders()).containsEntry(Wire.TASK_INDEX, 20).containsEntry(Wire.CHUNK_SIZE, 5);
    }

    @Test
    void closingTheBatchesClosesTheJobFile() throws Exception {
        boolean[] closed = {false};
        class Source implements Iterator<String>, Closeable {
            final Iterator<String> it = List.of("{}").iterator();

            public boolean hasNext() {
                return it.hasNext();
            }

            public String next() {
                return it.next();
            }

            public void close() {
                closed[0] = true;
            }
        }
        try (RequestBatches batches = new RequestBatches(new Source(), "job-3", "echo", 1, 1, 100)) {
            assertThat(batches.next().tasks()).isEqualTo(1);
            assertThat(batches.hasNext()).isFalse();
        }
        assertThat(closed[0]).isTrue();
    }

    private static Iterator<String> bodies(int n) {
        return IntStream.range(0, n).mapToObj(i -> "{\"index\":" + i + "}").iterator();
    }

    private static List<RequestBatch> drain(RequestBatches batches) {
        List<RequestBatch> out = new ArrayList<>();
        batches.forEachRemaining(out::add);
        return out;
    }
}
