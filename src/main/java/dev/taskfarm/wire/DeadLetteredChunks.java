package dev.taskfarm.wire;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultMessage;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * A chunk that RabbitMQ dead-lettered (rejected, or its delivery limit reached: one of its tasks
 * may kill or stall every worker that runs it) goes back to the requests queue as one request per
 * task, so only the task that caused it fails, on its own dead letter; the chunk's other tasks
 * run again and keep their results. Since chunking is automatic, no task should fail just for
 * sharing a message with a poison task.
 */
public class DeadLetteredChunks {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String requestsQueue;

    /** @param requestsQueue prefix of the compute queues: a single goes to {@code <prefix>.<compute>} */
    public DeadLetteredChunks(String requestsQueue) {
        this.requestsQueue = requestsQueue;
    }

    /** A dead-lettered chunk of more than one task whose body can be split (else it fails as a whole). */
    public boolean splittable(Message m) {
        Integer size = m.getHeader(Wire.CHUNK_SIZE, Integer.class);
        if (size == null || size < 2 || m.getHeader(Wire.JOB_ID) == null || m.getHeader(Wire.TASK_INDEX) == null) {
            return false;
        }
        JsonNode tasks = tasks(m);
        return tasks != null && tasks.isArray() && tasks.size() == size;
    }

    /** The chunk's tasks as single-task requests of the wire contract, for the requests queue. */
    public List<Message> singles(Exchange exchange) {
        Message in = exchange.getMessage();
        JsonNode tasks = tasks(in);
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        int first = in.getHeader(Wire.TASK_INDEX, Integer.class);
        int attempt = in.getHeader(Wire.ATTEMPT, 1, Integer.class) + 1;
        List<Message> singles = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            Message m = new DefaultMessage(exchange.getContext());
            m.setHeader(Wire.JOB_ID, jobId);
            m.setHeader(Wire.TASK_INDEX, first + i);
            m.setHeader(Wire.TASK_COUNT, in.getHeader(Wire.TASK_COUNT));
            m.setHeader(Wire.COMPUTE, in.getHeader(Wire.COMPUTE));
            m.setHeader(Wire.ATTEMPT, attempt);
            m.setHeader(AmqpHeaders.CORRELATION_ID, Wire.correlationId(jobId, first + i));
            m.setHeader(AmqpHeaders.REPLY_TO, in.getHeader(AmqpHeaders.REPLY_TO));
            m.setHeader(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON);
            m.setHeader(AmqpHeaders.DELIVERY_MODE, MessageDeliveryMode.PERSISTENT);
            // back to its compute's queue
            m.setHeader(AmqpHeaders.ROUTING_KEY, requestsQueue + "." + in.getHeader(Wire.COMPUTE, String.class));
            m.setBody(tasks.get(i).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            singles.add(m);
        }
        return singles;
    }

    private static JsonNode tasks(Message m) {
        try {
            return MAPPER.readTree(m.getBody(byte[].class));
        } catch (Exception e) {
            return null;
        }
    }
}
