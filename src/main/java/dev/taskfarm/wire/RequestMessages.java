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
 * queue, the wire version header {@code TaskfarmWire}, and only the contract headers (nothing from
 * the file or HTTP request leaks onto the broker). A message of one task never carries
 * {@code TaskfarmChunkSize}, even in a chunked job.
 */
public class RequestMessages {

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final int PERSISTENT = MessageDeliveryMode.toInt(MessageDeliveryMode.PERSISTENT);

    private final String repliesQueue;
    private final int replyBatch;

    public RequestMessages(String repliesQueue) {
        this(repliesQueue, 1);
    }

    /**
     * @param replyBatch the coordinator reads reply batches of up to this many replies
     *                   ({@link Wire#REPLY_BATCH} on each plain request); 1: it asks for none
     */
    public RequestMessages(String repliesQueue, int replyBatch) {
        this.repliesQueue = repliesQueue;
        this.replyBatch = replyBatch;
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
        int size = batch.tasksIn(i);
        boolean chunked = size > 1;
        Map<String, Object> h = new HashMap<>(8);
        h.put(Wire.JOB_ID, batch.jobId());
        h.put(Wire.TASK_INDEX, index);
        h.put(Wire.TASK_COUNT, batch.taskCount());
        if (batch.compute() != null) {
            h.put(Wire.COMPUTE, batch.compute());
        }
        h.put(Wire.ATTEMPT, 1);
        h.put(Wire.WIRE, Wire.WIRE_VERSION);
        if (chunked) {
            h.put(Wire.CHUNK_SIZE, size);
        } else if (replyBatch > 1) {
            h.put(Wire.REPLY_BATCH, replyBatch);
        }
        return new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE_JSON)
                .deliveryMode(PERSISTENT)
                .correlationId(Wire.correlationId(batch.jobId(), index, size))
                .replyTo(repliesQueue)
                .headers(h)
                .build();
    }

    /**
     * Body of message {@code i} of the batch: the task (or chunk) as JSON text. A chunk of one task
     * (the last chunk of a job may be one) is sent as a plain request: its task, not an array.
     */
    public byte[] body(RequestBatch batch, int i) {
        String body = batch.bodies().get(i);
        if (batch.chunkSize() > 1 && batch.tasksIn(i) == 1) {
            try {
                body = MAPPER.readTree(body).get(0).toString();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("a chunk body is not a JSON array: " + e.getMessage(), e);
            }
        }
        return body.getBytes(StandardCharsets.UTF_8);
    }
}
