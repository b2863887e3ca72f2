package dev.taskfarm;

import org.junit.jupiter.api.Test;

import dev.taskfarm.support.LogCapture;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker on the real RabbitMQ says at start when a task could outlive the broker's consumer timeout. */
class ConsumerTimeoutIT {

    private static final String WARNING = "not less than RabbitMQ's consumer timeout of PT30M";

    @Test
    void aHardLimitBeyondTheConsumerTimeoutIsWarnedAboutAtStart() throws Exception {
        assertThat(TestBroker.isRabbit()).as("this test needs RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        try (LogCapture log = LogCapture.open()) {
            try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.role", "worker").with("taskfarm.task.timeout", "PT40M")
                    .start()) {
                assertThat(log.mentioning(WARNING)).hasSize(1);
                assertThat(log.mentioning(WARNING).get(0).text()).contains("PT40M5S").contains("consumer_timeout");
            }
            try (TestFarm farm = TestFarm.onTestBroker().with("taskfarm.role", "worker").start()) {
                assertThat(log.mentioning(WARNING)).as("the defaults (PT5M + PT5S) stay below it").hasSize(1);
            }
        }
    }
}
