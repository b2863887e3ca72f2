package dev.taskfarm.wire;

import java.net.InetAddress;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * Builds reply messages on the worker: same correlation id as the request, routed to the queue
 * named by the request's reply-to, with the job id, index and status headers of the contract.
 */
public class ReplyMessages {

    static final int MAX_ERROR_HEADER = 1000;

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
        Object count = m.getHeader("x-delivery-count");
        String message = "dead-lettered by the broker (" + (reason == null ? "rejected" : reason)
                + (count == null ? "" : ", " + count + " deliveries") + "): the task may crash or stall its workers";
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
        h.clear();
        h.put(Wire.JOB_ID, jobId);
        h.put(Wire.TASK_INDEX, index);
        if (chunk != null) {
            h.put(Wire.CHUNK_SIZE, chunk);
        }
        h.put(Wire.STATUS, status);
        h.put(Wire.WORKER, workerName);
        if (error != null) {
            h.put(Wire.ERROR, error.length() > MAX_ERROR_HEADER ? error.substring(0, MAX_ERROR_HEADER) : error);
        }
        h.put(AmqpHeaders.CORRELATION_ID, correlationId);
        h.put(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON);
        h.put(AmqpHeaders.DELIVERY_MODE, MessageDeliveryMode.PERSISTENT);
        h.put(AmqpHeaders.ROUTING_KEY, replyTo);
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
