package dev.taskfarm.wire;

import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * Turns one split task into a request message of the wire contract: persistent, JSON, correlation
 * id {@code <jobId>:<index>}, reply-to the replies queue, and only the contract headers (nothing
 * from the file or HTTP request leaks onto the broker).
 */
public class RequestMessages {

    private final String repliesQueue;

    public RequestMessages(String repliesQueue) {
        this.repliesQueue = repliesQueue;
    }

    /**
     * Prepares the split part: one task, or with header {@link Wire#CHUNK_SIZE} a JSON array of
     * that many tasks (fewer in the last chunk) starting at index split index x chunk size.
     */
    public void prepare(Exchange exchange) {
        Message m = exchange.getMessage();
        String jobId = m.getHeader(Wire.JOB_ID, String.class);
        int part = exchange.getProperty(Exchange.SPLIT_INDEX, Integer.class);
        int count = m.getHeader(Wire.TASK_COUNT, Integer.class);
        int chunk = m.getHeader(Wire.CHUNK_SIZE, 1, Integer.class);
        int index = part * chunk;
        int size = Math.min(chunk, count - index);
        Object compute = m.getHeader(Wire.COMPUTE);
        Map<String, Object> h = m.getHeaders();
        h.clear();
        h.put(Wire.JOB_ID, jobId);
        h.put(Wire.TASK_INDEX, index);
        h.put(Wire.TASK_COUNT, count);
        h.put(Wire.COMPUTE, compute);
        h.put(Wire.ATTEMPT, 1);
        if (chunk > 1) {
            h.put(Wire.CHUNK_SIZE, size);
        }
        h.put(AmqpHeaders.CORRELATION_ID, Wire.correlationId(jobId, index, chunk > 1 ? size : 1));
        h.put(AmqpHeaders.REPLY_TO, repliesQueue);
        h.put(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON);
        h.put(AmqpHeaders.DELIVERY_MODE, MessageDeliveryMode.PERSISTENT);
    }
}
