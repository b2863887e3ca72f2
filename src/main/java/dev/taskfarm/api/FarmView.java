package dev.taskfarm.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

import dev.taskfarm.broker.QueueMonitor;

/**
 * GET /farm: what the coordinator can see of the farm from the broker: per queue its ready
 * messages and consumers, as the queue-depth route last sampled them. Each worker process runs
 * {@code taskfarm.worker.slots} consumers on the requests queue, so consumers / that number
 * estimates the workers connected (foreign workers may run other numbers).
 */
public class FarmView {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Header the route sets: the configured consumers per worker process. */
    static final String CONSUMERS_PER_WORKER = "TaskfarmConsumersPerWorker";

    public void view(Exchange exchange) throws ApiException {
        JobApi.onlyQueryParameters(exchange.getMessage(), "GET /farm");
        QueueMonitor monitor = exchange.getContext().getRegistry().lookupByNameAndType("queueMonitor", QueueMonitor.class);
        int perWorker = Math.max(1, exchange.getMessage().getHeader(CONSUMERS_PER_WORKER, 1, Integer.class));
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode queues = out.putArray("queues");
        long slots = 0;
        String[] roles = {"requests", "replies", "deadLetters"};
        int i = 0;
        for (QueueMonitor.Sample s : monitor == null ? java.util.List.<QueueMonitor.Sample>of() : monitor.latest()) {
            String role = i < roles.length ? roles[i] : "other";
            queues.addObject().put("name", s.queue()).put("role", role).put("ready", s.ready())
                    .put("consumers", s.consumers()).put("sampledAt", java.time.Instant.ofEpochMilli(s.at()).toString());
            if (i == 0) {
                slots = s.consumers();
            }
            i++;
        }
        out.put("slots", slots);
        out.put("consumersPerWorker", perWorker);
        out.put("workers", (slots + perWorker - 1) / perWorker);
        JobApi.respond(exchange, 200, out.toString(), JobApi.JSON);
    }
}
