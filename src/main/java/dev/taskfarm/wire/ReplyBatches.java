package dev.taskfarm.wire;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import org.springframework.amqp.core.MessageDeliveryMode;

import dev.taskfarm.amqp.AmqpMessage;
import dev.taskfarm.amqp.MessageBatcher;

/**
 * Reply batches (docs/WIRE.md, "Reply batches"): several plain replies in one message, for a
 * coordinator that asked for them ({@link Wire#REPLY_BATCH} on its requests). The worker's reply
 * endpoint combines the replies that are ready while its previous reply awaits the broker's
 * confirm ({@code batcher: "#replyBatches"}), so an idle worker still replies at once, one
 * message per reply, and a busy one sends a message per confirm round trip. The message: header
 * {@link Wire#REPLIES} = the count, {@code TaskfarmWire}, {@code TaskfarmWorker}; body a JSON
 * array, one {@code {"correlationId": ..., "headers": {...}, "body": "<the reply's body>"}} per
 * reply, each exactly what it would have been alone. The coordinator reads each with
 * {@link ReplyReading}, as if it had come alone.
 */
public class ReplyBatches implements MessageBatcher {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int PERSISTENT = MessageDeliveryMode.toInt(MessageDeliveryMode.PERSISTENT);

    /** One reply of a batch, as it would have been sent alone. */
    public record Entry(String correlationId, Map<String, Object> headers, byte[] body) {
    }

    /** The request's {@link Wire#REPLY_BATCH}, which a reply to it keeps; a chunk reply always goes alone. */
    @Override
    public int limit(AmqpMessage message) {
        Map<String, Object> h = message.properties().getHeaders();
        if (h == null || h.containsKey(Wire.CHUNK_SIZE) || !(h.get(Wire.REPLY_BATCH) instanceof Number n)) {
            return 1;
        }
        return n.intValue();
    }

    @Override
    public AmqpMessage combine(List<AmqpMessage> messages) {
        StringWriter out = new StringWriter(160 * messages.size());
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartArray();
            for (AmqpMessage m : messages) {
                g.writeStartObject();
                g.writeStringField("correlationId", m.properties().getCorrelationId());
                g.writeObjectFieldStart("headers");
                for (Map.Entry<String, Object> e : m.properties().getHeaders().entrySet()) {
                    if (!Wire.REPLY_BATCH.equals(e.getKey()) && !Wire.WIRE.equals(e.getKey()) && !Wire.WORKER.equals(e.getKey())) {
                        g.writeObjectField(e.getKey(), e.getValue() == null ? null : plain(e.getValue()));
                    }
                }
                g.writeEndObject();
                g.writeStringField("body", m.body() == null ? "" : new String(m.body(), StandardCharsets.UTF_8));
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a reply batch", e);
        }
        AMQP.BasicProperties first = messages.get(0).properties();
        Map<String, Object> h = new HashMap<>(4);
        h.put(Wire.REPLIES, messages.size());
        h.put(Wire.WIRE, Wire.WIRE_VERSION);
        Object worker = first.getHeaders().get(Wire.WORKER);
        if (worker != null) {
            h.put(Wire.WORKER, worker.toString());
        }
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().contentType(Wire.CONTENT_TYPE_JSON)
                .deliveryMode(PERSISTENT).headers(h).build();
        return new AmqpMessage(messages.get(0).routingKey(), p, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** AMQP long strings and the like as JSON-friendly values. */
    private static Object plain(Object v) {
        return v instanceof Number || v instanceof Boolean ? v : v.toString();
    }

    /**
     * The replies a batch carries, or null when the body is not a JSON array of {@code count}
     * objects with a {@code headers} object (then no reply in it can be told apart).
     */
    public static List<Entry> read(Object count, byte[] body) {
        JsonNode array;
        try {
            array = body == null ? null : MAPPER.readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (array == null || !array.isArray() || !(count instanceof Number n) || n.intValue() != array.size()) {
            return null;
        }
        List<Entry> entries = new ArrayList<>(array.size());
        for (JsonNode e : array) {
            JsonNode headers = e.get("headers");
            JsonNode b = e.get("body");
            if (headers == null || !headers.isObject()) {
                return null;
            }
            Map<String, Object> h = new HashMap<>(8);
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode v = f.getValue();
                h.put(f.getKey(), v.isInt() ? Integer.valueOf(v.intValue()) : v.isIntegralNumber() ? Long.valueOf(v.longValue())
                        : v.isBoolean() ? Boolean.valueOf(v.booleanValue()) : v.isNull() ? null : v.asText());
            }
            JsonNode id = e.get("correlationId");
            entries.add(new Entry(id == null || !id.isTextual() ? null : id.asText(), h,
                    b == null || !b.isTextual() ? null : b.asText().getBytes(StandardCharsets.UTF_8)));
        }
        return entries;
    }
}
