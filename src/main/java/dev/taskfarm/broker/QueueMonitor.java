package dev.taskfarm.broker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;

import dev.taskfarm.metrics.FarmMetrics;

/**
 * Samples taskfarm's queues (ready messages and consumers, through {@link ComputeQueues}) for the
 * {@code taskfarm_queue_depth_messages{queue}} and {@code taskfarm_queue_consumers{queue}} gauges
 * and GET /farm: the requests queue of every compute the coordinator knows or has published to,
 * the replies and the dead-letter queue. The queue-depth route calls it on a timer.
 */
public class QueueMonitor {

    private final ComputeQueues queues;
    private final Supplier<? extends Collection<String>> computes;
    private final FarmMetrics metrics;
    private final java.util.Map<String, Sample> latest = new java.util.concurrent.ConcurrentHashMap<>();

    /** What one passive declare said about a queue: ready messages and consumers ({@code compute} null for replies and dead letters). */
    public record Sample(String queue, String compute, long ready, long consumers, long at) {
    }

    public QueueMonitor(ComputeQueues queues, Supplier<? extends Collection<String>> computes, FarmMetrics metrics) {
        this.queues = queues;
        this.computes = computes;
        this.metrics = metrics;
    }

    /** The last sample of each queue: the compute queues by name, then replies and dead letters (absent until sampled). */
    public List<Sample> latest() {
        List<Sample> out = new ArrayList<>();
        for (String queue : names()) {
            Sample s = latest.get(queue);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private List<String> names() {
        TreeSet<String> known = new TreeSet<>(computes.get());
        known.addAll(queues.topology().declaredComputes());
        List<String> names = new ArrayList<>();
        for (String compute : known) {
            names.add(queues.topology().requestsQueue(compute));
        }
        names.add(queues.topology().replies());
        names.add(queues.topology().deadLetters());
        return names;
    }

    public String repliesQueue() {
        return queues.topology().replies();
    }

    public void sample() {
        QueueTopology t = queues.topology();
        for (String queue : names()) {
            ComputeQueues.Count c = queues.count(queue, 0);
            if (c.ready() < 0 || c.gone()) {
                // the broker is away (the readiness check says so) or the queue is not declared yet
                continue;
            }
            metrics.set("taskfarm.queue.depth.messages", "Ready messages in a taskfarm queue, as last seen",
                    "queue", queue, c.ready());
            metrics.set("taskfarm.queue.consumers", "Consumers of a taskfarm queue, as last seen",
                    "queue", queue, c.consumers());
            String compute = queue.startsWith(t.requests() + ".") && !queue.equals(t.deadLetters())
                    && !queue.equals(t.replies()) ? queue.substring(t.requests().length() + 1) : null;
            latest.put(queue, new Sample(queue, compute, c.ready(), c.consumers(), c.at()));
        }
    }
}
