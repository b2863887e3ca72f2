package dev.taskfarm.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import org.springframework.amqp.core.MessageDeliveryMode;

import dev.taskfarm.amqp.AmqpMessage;

/**
 * The request messages of the wire contract (docs/WIRE.md): persistent, JSON, correlation id
 * {@code <jobId>:<index>} (or {@code <jobId>:<index>+<size>} for a chunk), reply-to the replies
 * queue, and only the contract headers (nothing from the file or HTTP request leaks onto the
 * broker).
 */
public class RequestMessages {

    private static final int PERSISTENT = MessageDeliveryMode.toInt(MessageDeliveryMode.PERSISTENT);

    private final String repliesQueue;

    public RequestMessages(String repliesQueue) {
        this.repliesQueue = repliesQueue;
    }

    /** The batch's request messages, for the {@code taskfarm-amqp} producer to publish. */
    public List<AmqpMessage> messages(RequestBatch batch) {
        List<AmqpMessage> messages = new ArrayList<>(batch.bodies().size());
        for (int i = 0; i < batch.bodies().size(); i++) {
            messages.add(new AmqpMessage(null, properties(batch, i), body(batch, i)));
        }
        return messages;
    }

    /** AMQP properties of message {@code i} of the batch. */
    public AMQP.BasicProperties properties(RequestBatch batch, int i) {
        int index = batch.indexOf(i);
        boolean chunked = batch.chunkSize() > 1;
        int size = batch.tasksIn(i);
        Map<String, Object> h = new HashMap<>(8);
        h.put(Wire.JOB_ID, batch.jobId());
        h.put(Wire.TASK_INDEX, index);
        h.put(Wire.TASK_COUNT, batch.taskCount());
        if (batch.compute() != null) {
            h.put(Wire.COMPUTE, batch.compute());
        }
        h.put(Wire.ATTEMPT, 1);
        if (chunked) {
            h.put(Wire.CHUNK_SIZE, size);
        }
        return new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE_JSON)
                .deliveryMode(PERSISTENT)
                .correlationId(Wire.correlationId(batch.jobId(), index, chunked ? size : 1))
                .replyTo(repliesQueue)
                .headers(h)
                .build();
    }

    /** Body of message {@code i} of the batch: the task (or chunk) as JSON text. */
    public byte[] body(RequestBatch batch, int i) {
        return batch.bodies().get(i).getBytes(StandardCharsets.UTF_8);
    }
}
