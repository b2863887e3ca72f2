package dev.taskfarm.broker;

import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerConnectionTest {

    private static ConnectionFactory from(Map<String, String> settings) {
        return BrokerConnection.rabbitMq(settings::get);
    }

    @Test
    void aUrlIsParsedByTheClientLibrary() {
        ConnectionFactory cf = from(Map.of("taskfarm.rabbitmq.url", "amqps://a:b@rabbit/prod%2Fjobs"));
        assertThat(cf.getHost()).isEqualTo("rabbit");
        assertThat(cf.getPort()).isEqualTo(5671);
        assertThat(cf.getVirtualHost()).isEqualTo("prod/jobs");
        assertThat(cf.getUsername()).isEqualTo("a");
        assertThat(cf.isSSL()).isTrue();
        ConnectionFactory plain = from(Map.of("taskfarm.rabbitmq.url", "amqp://rabbit:5700",
                "taskfarm.rabbitmq.username", "u", "taskfarm.rabbitmq.password", "p"));
        assertThat(plain.getPort()).isEqualTo(5700);
        assertThat(plain.getUsername()).isEqualTo("u");
    }

    @Test
    void aMalformedUrlIsAClearErrorNeverLocalhost() {
        for (String url : new String[] {"amqp://rab bit:5672", "http://rabbit",
            "amqp://rabbit:99999", "amqp:///vh"}) {
            Map<String, String> s = new HashMap<>(Map.of("taskfarm.rabbitmq.username", "u", "taskfarm.rabbitmq.password", "p"));
            s.put("taskfarm.rabbitmq.url", url);
            assertThatThrownBy(() -> from(s)).as(url).isInstanceOf(BrokerSetupException.class)
                    .hasMessageContaining("taskfarm.rabbitmq.url");
        }
    }

    @Test
    void aUrlWithAHostListFailsOverAcrossItsNodes() {
        ConnectionFactory cf = from(Map.of("taskfarm.rabbitmq.url", "amqp://u:p@127.0.0.1:5701,127.0.0.1:5702/vh",
                "taskfarm.rabbitmq.address-shuffle", "none"));
        assertThat(((FailoverConnectionFactory) cf).nodes().describe()).isEqualTo("127.0.0.1:5701,127.0.0.1:5702");
        assertThat(cf.getVirtualHost()).isEqualTo("vh");
        assertThatThrownBy(() -> from(Map.of("taskfarm.rabbitmq.url", "amqp://u:p@h1:1,h2:2/vh",
                "taskfarm.rabbitmq.address-shuffle", "sometimes"))).hasMessageContaining("address-shuffle");
    }

    @Test
    void thePasswordIsNeverShown() {
        assertThatThrownBy(() -> from(Map.of("taskfarm.rabbitmq.url", "amqp://a:secret@x:99999/v")))
                .hasMessageContaining("a:***@").hasMessageNotContaining("secret");
    }

    @Test
    void credentialsHaveNoDefaults() {
        assertThatThrownBy(() -> from(Map.of("taskfarm.rabbitmq.host", "rabbit", "taskfarm.rabbitmq.port", "5672",
                "taskfarm.rabbitmq.virtual-host", "/"))).isInstanceOf(BrokerSetupException.class)
                .hasMessageContaining("RABBITMQ_USERNAME");
        assertThatThrownBy(() -> from(Map.of("taskfarm.rabbitmq.host", "rabbit", "taskfarm.rabbitmq.port", "http",
                "taskfarm.rabbitmq.virtual-host", "/"))).hasMessageContaining("port");
    }
}
