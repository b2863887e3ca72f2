package dev.taskfarm.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

import dev.taskfarm.broker.QueueMonitor;

/**
 * GET /farm: what the coordinator can see of the farm from the broker: per queue its ready
 * messages and consumers, as the queue-depth route last sampled them (one requests queue per
 * compute, role {@code requests} with its {@code compute}). A taskfarm worker process consumes
 * each of its computes' queues once and runs {@code taskfarm.worker.slots} tasks at once, so the
 * most consumers on one compute queue is at least the workers connected, and slots = the sum over
 * the compute queues of consumers x slots per worker (foreign workers may run other numbers).
 */
public class FarmView {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Header the route sets: the configured slots per worker process. */
    static final String CONSUMERS_PER_WORKER = "TaskfarmConsumersPerWorker";

    public void view(Exchange exchange) throws ApiException {
        HttpMessages.onlyQueryParameters(exchange.getMessage(), "GET /farm");
        QueueMonitor monitor = exchange.getContext().getRegistry().lookupByNameAndType("queueMonitor", QueueMonitor.class);
        int perWorker = Math.max(1, exchange.getMessage().getHeader(CONSUMERS_PER_WORKER, 1, Integer.class));
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode queues = out.putArray("queues");
        long workers = 0;
        for (QueueMonitor.Sample s : monitor == null ? java.util.List.<QueueMonitor.Sample>of() : monitor.latest()) {
            ObjectNode q = queues.addObject().put("name", s.queue());
            if (s.compute() != null) {
                q.put("role", "requests").put("compute", s.compute());
                workers = Math.max(workers, s.consumers());
            } else {
                q.put("role", s.queue().equals(monitor.repliesQueue()) ? "replies" : "deadLetters");
            }
            q.put("ready", s.ready()).put("consumers", s.consumers())
                    .put("sampledAt", java.time.Instant.ofEpochMilli(s.at()).toString());
        }
        out.put("slots", workers * perWorker);
        out.put("consumersPerWorker", perWorker);
        out.put("workers", workers);
        HttpMessages.respond(exchange, 200, out.toString(), HttpMessages.JSON);
    }
}
