package dev.taskfarm.support;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;

/**
 * A worker written with the plain amqp-client (no taskfarm code), for tests that play a foreign
 * worker: the handler answers each request (or rejects it, so RabbitMQ dead-letters it); the reply
 * carries the request's correlation id, job id and index, is published with a confirm, and only
 * then is the request acked. A request the handler fails on is requeued.
 */
public final class RawWorker {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A reply: headers besides job id, index and status ({@code ok} unless given), and the body as JSON. */
    public record Reply(Map<String, Object> headers, Object body) {
    }

    /** Answers a request (its properties and JSON body), or returns null to reject it. */
    public interface Handler {
        Reply handle(AMQP.BasicProperties request, JsonNode body) throws Exception;
    }

    private RawWorker() {
    }

    public static void start(Channel ch, String queue, int prefetch, Handler handler) throws IOException {
        ch.basicQos(prefetch);
        ch.confirmSelect();
        ch.basicConsume(queue, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws IOException {
                try {
                    Reply r = handler.handle(props, MAPPER.readTree(body));
                    if (r == null) {
                        ch.basicReject(env.getDeliveryTag(), false);
                        return;
                    }
                    Map<String, Object> h = new HashMap<>(r.headers());
                    h.put("TaskfarmJobId", props.getHeaders().get("TaskfarmJobId"));
                    h.put("TaskfarmTaskIndex", props.getHeaders().get("TaskfarmTaskIndex"));
                    h.putIfAbsent("TaskfarmStatus", "ok");
                    AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder().correlationId(props.getCorrelationId())
                            .contentType("application/json").deliveryMode(2).headers(h).build();
                    ch.basicPublish("", props.getReplyTo(), reply, MAPPER.writeValueAsBytes(r.body()));
                    ch.waitForConfirmsOrDie(10_000);
                    ch.basicAck(env.getDeliveryTag(), false);
                } catch (Exception e) {
                    ch.basicNack(env.getDeliveryTag(), false, true);
                }
            }
        });
    }
}
