package dev.taskfarm.broker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerSettingsTest {

    @Test
    void parsesUrls() {
        assertThat(BrokerSettings.fromUrl("amqp://rabbit:5672", "u", "p"))
                .isEqualTo(new BrokerSettings("rabbit", 5672, "/", "u", "p", false));
        assertThat(BrokerSettings.fromUrl("amqps://a:b@rabbit/prod%2Fjobs", null, null))
                .isEqualTo(new BrokerSettings("rabbit", 5671, "prod/jobs", "a", "b", true));
        assertThatThrownBy(() -> BrokerSettings.fromUrl("http://rabbit", "u", "p")).hasMessageContaining("amqp://");
    }

    @Test
    void describeHidesCredentials() {
        assertThat(BrokerSettings.fromUrl("amqp://a:secret@rabbit:5672/v", null, null).describe())
                .isEqualTo("amqp://rabbit:5672/v").doesNotContain("secret");
    }
}
