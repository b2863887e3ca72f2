package dev.taskfarm.broker;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.rabbitmq.client.Address;

/**
 * The broker nodes a process may connect to, tried in random order (or in the given order) by
 * every connection it opens: {@code taskfarm.rabbitmq.addresses} ({@code host1:5672,host2:5672}),
 * or the host list of a URL such as {@code amqp://host1:5672,host2:5672/vhost}.
 *
 * @param addresses the nodes, at least one
 * @param shuffle   whether each connection tries them in random order (spreads connections over
 *                  a cluster) or in the order given
 */
public record BrokerAddresses(List<Address> addresses, boolean shuffle) {

    /** scheme, user info, host list, rest (port-less path and query) of an amqp URL */
    private static final Pattern URL = Pattern.compile("^(amqps?://)([^@/?#]*@)?([^/?#]*)(.*)$", Pattern.CASE_INSENSITIVE);

    public BrokerAddresses {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no broker address");
        }
        addresses = List.copyOf(addresses);
    }

    /** A comma-separated {@code host[:port]} list; a node without a port gets {@code defaultPort}. */
    public static List<Address> parse(String list, int defaultPort) {
        List<Address> parsed = Arrays.stream(list.split(",")).map(String::trim).filter(a -> !a.isEmpty())
                .map(a -> {
                    Address address = Address.parseAddress(a);
                    if (address.getHost() == null || address.getHost().isBlank()) {
                        throw new IllegalArgumentException("broker address without a host: \"" + a + "\" in \"" + list + "\"");
                    }
                    return address.getPort() > 0 ? address : new Address(address.getHost(), defaultPort);
                })
                .toList();
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("no broker address in \"" + list + "\"");
        }
        return parsed;
    }

    /** The host list of an {@code amqp://h1:p1,h2:p2/vhost} URL, or null when it names one host. */
    public static String hostList(String url) {
        Matcher m = URL.matcher(url);
        return m.matches() && m.group(3).contains(",") ? m.group(3) : null;
    }

    /** The URL with only the first host of its host list, so that the rest of it parses as a URI. */
    public static String firstHostUrl(String url) {
        String hosts = hostList(url);
        if (hosts == null) {
            return url;
        }
        Matcher m = URL.matcher(url);
        m.matches();
        String userInfo = m.group(2) == null ? "" : m.group(2);
        return m.group(1) + userInfo + hosts.split(",")[0].trim() + m.group(4);
    }

    /** Default port for a URL's scheme. */
    public static int defaultPort(String url) {
        return url != null && url.toLowerCase(Locale.ROOT).startsWith("amqps:") ? 5671 : 5672;
    }

    public String describe() {
        return addresses.stream().map(a -> a.getHost() + ":" + a.getPort()).collect(Collectors.joining(","));
    }
}
