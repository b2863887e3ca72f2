package dev.taskfarm.amqp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes a producer's messages with at most one combined message per routing key awaiting its
 * confirm, the way Nagle's algorithm sends TCP segments: a message that finds nothing of its
 * routing key awaiting a confirm is published at once and alone; the ones that come while one is
 * awaited wait for that confirm, and then go together, as one message made by the
 * {@link MessageBatcher} (at most its limit; a full batch goes at once). So an idle producer adds
 * no delay, and a busy one sends a message per confirm round trip instead of one per message:
 * the busier, the fuller. Each exchange still completes (and so acknowledges its request) only
 * when the broker confirmed the message that carried it, or fails with it.
 */
final class Coalescer {

    /** The messages of one routing key waiting for the confirm of the one in flight. */
    private static final class Lane {
        final String routingKey;
        final List<AmqpMessage> messages = new ArrayList<>();
        final List<Outcome> outcomes = new ArrayList<>();
        int limit = Integer.MAX_VALUE;
        int inFlight;

        Lane(String routingKey) {
            this.routingKey = routingKey;
        }
    }

    /** A taken batch: what goes out in one message. */
    private record Batch(Lane lane, List<AmqpMessage> messages, List<Outcome> outcomes) {
    }

    private final Settlement.Publisher publisher;
    private final MessageBatcher batcher;
    private final Executor flusher;
    private final Map<String, Lane> lanes = new HashMap<>();

    /**
     * @param flusher where a batch released by a confirm is published (never the connection's I/O
     *                thread that delivers the confirm)
     */
    Coalescer(Settlement.Publisher publisher, MessageBatcher batcher, Executor flusher) {
        this.publisher = publisher;
        this.batcher = batcher;
        this.flusher = flusher;
    }

    /** Publishes the message now, or with the next batch of its routing key. */
    void publish(String routingKey, AmqpMessage message, int limit, Outcome outcome) {
        Batch now;
        synchronized (this) {
            Lane lane = lanes.computeIfAbsent(routingKey, Lane::new);
            lane.messages.add(message);
            lane.outcomes.add(outcome);
            lane.limit = Math.min(lane.limit, limit);
            now = lane.inFlight == 0 || lane.messages.size() >= lane.limit ? take(lane) : null;
        }
        if (now != null) {
            send(now);
        }
    }

    private Batch take(Lane lane) {
        Batch b = new Batch(lane, List.copyOf(lane.messages), List.copyOf(lane.outcomes));
        lane.messages.clear();
        lane.outcomes.clear();
        lane.limit = Integer.MAX_VALUE;
        lane.inFlight++;
        return b;
    }

    private void send(Batch batch) {
        AmqpMessage m = batch.messages().size() == 1 ? batch.messages().get(0) : batcher.combine(batch.messages());
        Settlement settlement = new Settlement() {
            // a publish that throws may also be settled by its channel's closing: once only
            private final AtomicBoolean settled = new AtomicBoolean();

            @Override
            public void confirmed(boolean ack, String cause) {
                if (settled.compareAndSet(false, true)) {
                    batch.outcomes().forEach(o -> o.confirmed(ack, cause));
                    landed(batch.lane());
                }
            }

            @Override
            public void fail(Exception e) {
                if (settled.compareAndSet(false, true)) {
                    batch.outcomes().forEach(o -> o.fail(e));
                    landed(batch.lane());
                }
            }
        };
        try {
            publisher.publish(batch.lane().routingKey, m.properties(), m.body(), settlement);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            settlement.fail(e);
        } catch (Exception e) {
            settlement.fail(e);
        }
    }

    /** The lane's message in flight is settled: what waited for it goes now, from the flusher. */
    private void landed(Lane lane) {
        Batch next;
        synchronized (this) {
            lane.inFlight--;
            next = lane.inFlight == 0 && !lane.messages.isEmpty() ? take(lane) : null;
        }
        if (next != null) {
            try {
                flusher.execute(() -> send(next));
            } catch (RejectedExecutionException e) {
                // the endpoint is stopping: the waiting exchanges fail, their requests are requeued
                next.outcomes().forEach(o -> o.fail(e));
            }
        }
    }
}
