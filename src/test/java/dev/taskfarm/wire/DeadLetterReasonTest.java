package dev.taskfarm.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The error text of a dead-lettered request says what RabbitMQ said, and nothing it did not. */
class DeadLetterReasonTest {

    static String reasonFor(String firstDeathReason, Object deliveryCount) {
        Exchange e = new DefaultExchange(new DefaultCamelContext());
        e.getMessage().setHeader("x-first-death-reason", firstDeathReason);
        e.getMessage().setHeader("x-delivery-count", deliveryCount);
        e.getMessage().setHeader(Wire.JOB_ID, "j");
        e.getMessage().setHeader(Wire.TASK_INDEX, 1);
        new ReplyMessages("replies").deadLettered(e);
        assertThat(e.getMessage().getHeader(Wire.STATUS)).isEqualTo(Wire.STATUS_ERROR);
        assertThat(e.getMessage().getHeader(Wire.WIRE)).isEqualTo(Wire.WIRE_VERSION);
        return e.getMessage().getHeader(Wire.ERROR, String.class);
    }

    @Test
    void aRejectIsAWorkersDecisionNotACrash() {
        assertThat(reasonFor("rejected", 0L)).contains("rejected by a worker").doesNotContain("crash");
    }

    @Test
    void theDeliveryLimitSaysHowOftenTheRequestWasDeliveredNotTheDeadLetterQueuesCount() {
        // RabbitMQ delivers x-delivery-limit + 1 times; the count on the dead letter is the DLQ's own (0)
        assertThat(reasonFor("delivery_limit", 0L)).contains("delivery_limit", "x-delivery-limit + 1 times")
                .doesNotContain("0 deliveries");
    }
}
