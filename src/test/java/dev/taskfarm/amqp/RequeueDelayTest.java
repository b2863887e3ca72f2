package dev.taskfarm.amqp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How long a worker's failed request waits before it goes back to its queue (the broker side: ClusterIT). */
class RequeueDelayTest {

    @Test
    void theDelayDoublesWithEachEarlierDeliveryUpTo16Times() {
        assertThat(AmqpConsumer.requeueDelay(500, 0)).isEqualTo(500);
        assertThat(AmqpConsumer.requeueDelay(500, 1)).isEqualTo(1000);
        assertThat(AmqpConsumer.requeueDelay(500, 4)).isEqualTo(8000);
        assertThat(AmqpConsumer.requeueDelay(500, 9)).isEqualTo(8000);
        assertThat(AmqpConsumer.requeueDelay(0, 3)).as("no delay set: at once").isZero();
    }

    @Test
    void earlierDeliveriesComeFromTheQuorumQueuesCountElseTheRedeliveredFlag() {
        assertThat(AmqpConsumer.deliveries(3L, true)).isEqualTo(3);
        assertThat(AmqpConsumer.deliveries(null, true)).isEqualTo(1);
        assertThat(AmqpConsumer.deliveries(null, false)).isZero();
        assertThat(AmqpConsumer.deliveries(null, null)).isZero();
    }
}
