package dev.taskfarm.wire;

import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

/**
 * Control broadcasts on the control exchange (fanout, docs/WIRE.md "Cancel"): today one kind,
 * {@code cancel}, which tells every worker to skip the remaining tasks of a job. Body
 * {@code {"control":"cancel","jobId":"..."}}, headers {@code TaskfarmControl=cancel} and
 * {@code TaskfarmJobId}. A worker that misses one (it was down) still runs those tasks; the
 * coordinator then drops their replies, so a missed broadcast costs work, never correctness.
 */
public class ControlMessages {

    public static final String CONTROL = "TaskfarmControl";
    public static final String CANCEL = "cancel";

    private final java.util.function.Consumer<String> onCancel;

    /** @param onCancel told the job id of every cancel received (the worker's cancelled jobs) */
    public ControlMessages(java.util.function.Consumer<String> onCancel) {
        this.onCancel = onCancel;
    }

    /** Turns the exchange (header TaskfarmJobId) into a cancel broadcast. */
    public void cancel(Exchange exchange) {
        Message m = exchange.getMessage();
        String jobId = m.getHeader(Wire.JOB_ID, String.class);
        Map<String, Object> h = m.getHeaders();
        h.clear();
        h.put(Wire.JOB_ID, jobId);
        h.put(CONTROL, CANCEL);
        h.put(AmqpHeaders.CONTENT_TYPE, Wire.CONTENT_TYPE_JSON);
        h.put(AmqpHeaders.DELIVERY_MODE, MessageDeliveryMode.PERSISTENT);
        m.setBody(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("control", CANCEL).put("jobId", jobId).toString());
    }

    /** Applies a received broadcast; unknown kinds are ignored (newer coordinators may send more). */
    public void receive(Exchange exchange) {
        Message m = exchange.getMessage();
        if (CANCEL.equals(m.getHeader(CONTROL, String.class))) {
            onCancel.accept(m.getHeader(Wire.JOB_ID, String.class));
        }
    }
}
