package dev.taskfarm.broker;

import java.net.URI;

/**
 * Where the AMQP broker is and how to log in. Credentials never have defaults here: they come
 * from properties or the environment (RABBITMQ_USERNAME / RABBITMQ_PASSWORD), or, for the
 * embedded broker, are generated per start.
 *
 * @param host        broker host
 * @param port        broker port
 * @param virtualHost virtual host
 * @param username    user
 * @param password    password
 * @param tls         whether to use TLS
 */
public record BrokerSettings(String host, int port, String virtualHost, String username, String password, boolean tls) {

    /** Settings from an {@code amqp://} or {@code amqps://} URL; user info in the URL wins. */
    public static BrokerSettings fromUrl(String url, String username, String password) {
        URI uri = URI.create(url);
        boolean tls = "amqps".equalsIgnoreCase(uri.getScheme());
        if (!tls && !"amqp".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("RabbitMQ URL must start with amqp:// or amqps://, got " + url);
        }
        String user = username;
        String pass = password;
        if (uri.getUserInfo() != null) {
            String[] parts = uri.getUserInfo().split(":", 2);
            user = parts[0];
            pass = parts.length > 1 ? parts[1] : pass;
        }
        String path = uri.getPath();
        String vhost = path == null || path.isEmpty() || "/".equals(path) ? "/"
                : java.net.URLDecoder.decode(path.substring(1), java.nio.charset.StandardCharsets.UTF_8);
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 5671 : 5672;
        return new BrokerSettings(uri.getHost(), port, vhost, user, pass, tls);
    }

    public String describe() {
        return (tls ? "amqps://" : "amqp://") + host + ":" + port + ("/".equals(virtualHost) ? "" : "/" + virtualHost);
    }
}
