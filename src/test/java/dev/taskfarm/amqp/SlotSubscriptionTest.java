package dev.taskfarm.amqp;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The held count a lookahead bounded by time asks for (the broker side: LookaheadIT). */
class SlotSubscriptionTest {

    static final long HOLD = TimeUnit.MILLISECONDS.toNanos(20);

    @Test
    void aHeldRequestWaitsAboutTheHoldTime() {
        // 4 slots, 20 ms tasks: 4 held, each waits one task's time behind the running ones
        assertThat(SlotSubscription.held(4, HOLD, ms(20), 256)).isEqualTo(4);
        // 5 ms messages (an auto chunk): 16
        assertThat(SlotSubscription.held(4, HOLD, ms(5), 256)).isEqualTo(16);
    }

    @Test
    void longTasksHoldOneAndTinyTasksTheCeiling() {
        assertThat(SlotSubscription.held(4, HOLD, ms(1000), 256)).isEqualTo(1);
        assertThat(SlotSubscription.held(4, HOLD, 30_000, 256)).isEqualTo(256);
        assertThat(SlotSubscription.held(4, HOLD, 0, 256)).as("no time measured yet").isEqualTo(256);
    }

    private static double ms(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }
}
