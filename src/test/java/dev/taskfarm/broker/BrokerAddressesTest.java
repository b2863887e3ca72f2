package dev.taskfarm.broker;

import com.rabbitmq.client.Address;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerAddressesTest {

    @Test
    void parsesAddressListsWithDefaultPorts() {
        assertThat(BrokerAddresses.parse("h1:5701, h2 ,[::1]:5703", 5672))
                .containsExactly(new Address("h1", 5701), new Address("h2", 5672), new Address("[::1]", 5703));
        assertThatThrownBy(() -> BrokerAddresses.parse(" , ", 5672)).hasMessageContaining("no broker address");
    }

    @Test
    void aUrlHostListIsSplitIntoNodesAndAParsableUrl() {
        String url = "amqp://u:p@127.0.0.1:5701,127.0.0.1:5702/vh";
        assertThat(BrokerAddresses.hostList(url)).isEqualTo("127.0.0.1:5701,127.0.0.1:5702");
        assertThat(BrokerAddresses.firstHostUrl(url)).isEqualTo("amqp://u:p@127.0.0.1:5701/vh");
        var props = java.util.Map.of("taskfarm.rabbitmq.url", url, "taskfarm.rabbitmq.address-shuffle", "none");
        var rabbit = BrokerConnection.rabbitMq(props::get);
        assertThat(rabbit).isInstanceOf(FailoverConnectionFactory.class);
        assertThat(((FailoverConnectionFactory) rabbit).nodes().describe()).isEqualTo("127.0.0.1:5701,127.0.0.1:5702");
        assertThat(rabbit.getVirtualHost()).isEqualTo("vh");
        assertThat(rabbit.getUsername()).isEqualTo("u");
        assertThat(BrokerAddresses.hostList("amqps://rabbit:5671/vh")).isNull();
        assertThat(BrokerAddresses.firstHostUrl("amqps://rabbit:5671/vh")).isEqualTo("amqps://rabbit:5671/vh");
    }
}
