package dev.taskfarm.broker;

import java.util.List;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ListAddressResolver;

/**
 * An amqp-client connection factory whose every connection, whoever opens it (Spring's caching
 * factory for the routes, the publishers, the queue declaration), goes to one of the configured
 * broker nodes: the next node is tried when one is down, so a process fails over to the cluster
 * nodes that are up. One address keeps the client's default (all DNS records of the host).
 */
public class FailoverConnectionFactory extends ConnectionFactory {

    private final BrokerAddresses nodes;

    public FailoverConnectionFactory(BrokerAddresses nodes) {
        this.nodes = nodes;
        setHost(nodes.addresses().get(0).getHost());
        setPort(nodes.addresses().get(0).getPort());
    }

    public BrokerAddresses nodes() {
        return nodes;
    }

    @Override
    protected AddressResolver createAddressResolver(List<Address> ignored) {
        if (nodes.addresses().size() == 1) {
            return super.createAddressResolver(nodes.addresses());
        }
        // ListAddressResolver shuffles the list for every connection
        return nodes.shuffle() ? new ListAddressResolver(nodes.addresses()) : new ListAddressResolver(nodes.addresses()) {
            @Override
            public List<Address> maybeShuffle(List<Address> input) {
                return input;
            }
        };
    }
}
