package dev.taskfarm.wire;

import java.net.InetAddress;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * Reply messages of the wire contract (docs/WIRE.md), as a worker (or the dead-letter route)
 * builds them: same correlation id as the request, routed to the queue named by the request's
 * reply-to, with the job id, index and status headers of the contract. The coordinator reads
 * them with {@link ReplyReading}.
 */
public class ReplyMessages {

    static final int MAX_ERROR_HEADER = Wire.MAX_ERROR;

    private final String defaultRepliesQueue;
    private final String workerName;

    public ReplyMessages(String defaultRepliesQueue) {
        this.defaultRepliesQueue = defaultRepliesQueue;
        this.workerName = hostName();
    }

    /** The compute result in the body becomes an ok reply. */
    public void ok(Exchange exchange) {
        reply(exchange, Wire.STATUS_OK, null);
    }

    /** The exception being handled becomes an error reply; the body says what failed. */
    public void error(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String message = e == null ? "unknown error" : describe(e);
        exchange.getMessage().setBody(errorBody(message));
        reply(exchange, Wire.STATUS_ERROR, message);
    }

    /**
     * A request the broker dead-lettered becomes an error reply, with the broker's reason (for
     * example the delivery limit) as the error text.
     */
    public void deadLettered(Exchange exchange) {
        Message m = exchange.getMessage();
        String reason = m.getHeader("x-first-death-reason", String.class);
        // (x-delivery-count is no help here: it counts deliveries from the dead-letter queue)
        String message = reason == null || "rejected".equals(reason)
                ? "dead-lettered by the broker (rejected by a worker that cannot handle the request)"
                : "delivery_limit".equals(reason)
                        ? "dead-lettered by the broker (delivery_limit: delivered x-delivery-limit + 1 times, never "
                                + "acknowledged): the task may crash or stall its workers"
                        : "dead-lettered by the broker (" + reason + ")";
        m.setBody(errorBody(message));
        reply(exchange, Wire.STATUS_ERROR, message);
    }

    private void reply(Exchange exchange, String status, String error) {
        Message m = exchange.getMessage();
        Map<String, Object> h = m.getHeaders();
        String replyTo = m.getHeader(AmqpHeaders.REPLY_TO, defaultRepliesQueue, String.class);
        Object correlationId = h.get(AmqpHeaders.CORRELATION_ID);
        Object jobId = h.get(Wire.JOB_ID);
        Object index = h.get(Wire.TASK_INDEX);
        Object chunk = h.get(Wire.CHUNK_SIZE);
        Object computeMicros = h.get(Wire.COMPUTE_MICROS);
        Object batch = h.get(Wire.REPLY_BATCH);
        h.clear();
        h.put(Wire.JOB_ID, jobId);
        h.put(Wire.TASK_INDEX, index);
        if (chunk != null) {
            h.put(Wire.CHUNK_SIZE, chunk);
        }
        h.put(Wire.STATUS, status);
        h.put(Wire.WIRE, Wire.WIRE_VERSION);
        h.put(Wire.WORKER, workerName);
        if (computeMicros != null) {
            h.put(Wire.COMPUTE_MICROS, computeMicros);
        }
        if (error != null) {
            h.put(Wire.ERROR, limit(error));
        }
        if (batch != null && chunk == null) {
            // the coordinator reads reply batches: the reply endpoint may combine this reply (ReplyBatches)
            h.put(Wire.REPLY_BATCH, batch);
        }
        h.put(AmqpHeaders.CORRELATION_ID, correlationId);
        h.put(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON);
        h.put(AmqpHeaders.DELIVERY_MODE, MessageDeliveryMode.PERSISTENT);
        h.put(AmqpHeaders.ROUTING_KEY, replyTo);
    }

    /** An error text cut to {@link Wire#MAX_ERROR} characters (never between the halves of a surrogate pair). */
    static String limit(String error) {
        if (error.length() <= Wire.MAX_ERROR) {
            return error;
        }
        int end = Character.isHighSurrogate(error.charAt(Wire.MAX_ERROR - 1)) ? Wire.MAX_ERROR - 1 : Wire.MAX_ERROR;
        return error.substring(0, end);
    }

    static String describe(Throwable e) {
        // a failed task's exception already carries its compute's message (TaskFailedException)
        String msg = e.getMessage();
        return msg == null || msg.isBlank() ? e.getClass().getSimpleName() : msg;
    }

    static String errorBody(String message) {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("error", message).toString();
    }

    /** The pod name on Kubernetes (HOSTNAME), else the host name. */
    public static String hostName() {
        String pod = System.getenv("HOSTNAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
