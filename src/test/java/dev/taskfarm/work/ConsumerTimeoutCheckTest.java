package dev.taskfarm.work;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConsumerTimeoutCheckTest {

    @Test
    void warnsWhenATaskCanOutliveRabbitMqsConsumerTimeout() {
        assertThat(ConsumerTimeoutCheck.warning("RabbitMQ", "3.10.8", Duration.ofMinutes(35), Duration.ofMinutes(30)))
                .hasValueSatisfying(w -> assertThat(w).contains("PT35M").contains("PT30M").contains("consumer_timeout")
                        .contains("3.10.8").contains("taskfarm.rabbitmq.consumer-timeout"));
        assertThat(ConsumerTimeoutCheck.warning("RabbitMQ", "3.10.8", Duration.ofMinutes(30), Duration.ofMinutes(30))).isPresent();
    }

    @Test
    void staysQuietBelowIt() {
        assertThat(ConsumerTimeoutCheck.warning("RabbitMQ", "3.10.8", Duration.parse("PT5M5S"), Duration.ofMinutes(30))).isEmpty();
        // 0 = the broker's consumer timeout is off
        assertThat(ConsumerTimeoutCheck.warning("RabbitMQ", "3.10.8", Duration.ofHours(2), Duration.ZERO)).isEmpty();
        // the embedded Qpid broker has no consumer timeout
        assertThat(ConsumerTimeoutCheck.warning("qpid", "9.2.1", Duration.ofHours(2), Duration.ofMinutes(30))).isEmpty();
    }
}
