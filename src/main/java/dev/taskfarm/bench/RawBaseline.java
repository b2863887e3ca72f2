package dev.taskfarm.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;

import dev.taskfarm.compute.Sha256Compute;

/**
 * The hand-written RPCs that taskfarm must beat, in the bench JVM with the plain amqp-client, in
 * one of two {@link Shape}s:
 * <ul>
 * <li>{@link Shape#RAW}: written the way a careful engineer would: durable quorum queues of its
 * own, persistent messages, asynchronous publisher confirms (publisher and workers), correlation
 * ids, prefetch 250, a request acknowledged only after its reply is confirmed;</li>
 * <li>{@link Shape#SEED}: the classic Go RPC taskfarm descends from: transient (non-durable
 * classic) queues, transient messages, no confirms, {@code Qos(1)}, one consumer per server
 * process, the request acked after its reply is published.</li>
 * </ul>
 * Both have a client that counts one reply per index and writes the results. No ledger, no
 * retries, no timeouts, no dead letters: only the messaging.
 */
final class RawBaseline implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final int PREFETCH = 250;

    /**
     * How the RPC talks to the broker.
     *
     * @param name     queue name part and label
     * @param durable  durable quorum queues and persistent messages, else transient classic queues and messages
     * @param confirms publisher confirms (asynchronous, window 1000 / prefetch), else none
     * @param prefetch per consumer, workers and client alike
     */
    record Shape(String name, String label, boolean durable, boolean confirms, int prefetch) {
        static final Shape RAW = new Shape("raw", "raw baseline", true, true, PREFETCH);
        static final Shape SEED = new Shape("seed", "seed shape", false, false, 1);
    }

    private final String requests;
    private final String replies;
    private final Connection workerConnection;
    private final Connection clientConnection;
    private final ExecutorService workerThreads;
    private final Path outDir;
    private final ConnectionFactory factory;
    private final Shape shape;
    private volatile RunState current;

    /** One job in flight: what the collector needs to count and time its replies. */
    private static final class RunState {
        final String jobId;
        final int total;
        final AtomicLongArray publishedAt;
        final long[] roundTrip;
        final String[] results;
        final BitSet seen = new BitSet();
        final CountDownLatch done = new CountDownLatch(1);
        int count;

        RunState(String jobId, int total) {
            this.jobId = jobId;
            this.total = total;
            this.publishedAt = new AtomicLongArray(total);
            this.roundTrip = new long[total];
            this.results = new String[total];
        }
    }

    RawBaseline(ConnectionFactory factory, String prefix, int workers, Path outDir) throws Exception {
        this(Shape.RAW, factory, prefix, workers, outDir);
    }

    RawBaseline(Shape shape, ConnectionFactory factory, String prefix, int workers, Path outDir) throws Exception {
        this.shape = shape;
        this.requests = prefix + "." + shape.name() + ".requests";
        this.replies = prefix + "." + shape.name() + ".replies";
        this.outDir = outDir;
        this.factory = factory;
        this.workerThreads = Executors.newFixedThreadPool(workers);
        this.workerConnection = factory.newConnection(workerThreads, "bench-" + shape.name() + "-workers");
        this.clientConnection = factory.newConnection("bench-" + shape.name() + "-client");
        try (Channel ch = clientConnection.createChannel()) {
            Map<String, Object> args = shape.durable() ? Map.of("x-queue-type", "quorum") : Map.of();
            ch.queueDeclare(requests, shape.durable(), false, false, args);
            ch.queueDeclare(replies, shape.durable(), false, false, args);
        }
        for (int i = 0; i < workers; i++) {
            startWorker(workerConnection.createChannel());
        }
        startCollector(clientConnection.createChannel());
    }

    Shape shape() {
        return shape;
    }

    /**
     * A worker: compute, publish the reply (async confirm), ack the request once the reply is
     * confirmed; without confirms, ack right after publishing.
     */
    private void startWorker(Channel ch) throws Exception {
        ch.basicQos(shape.prefetch());
        ConfirmWindow replies = shape.confirms() ? new ConfirmWindow(ch, shape.prefetch()) : null;
        ch.basicConsume(requests, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws IOException {
                long delivery = env.getDeliveryTag();
                try {
                    var task = MAPPER.readTree(body);
                    byte[] result = MAPPER.writeValueAsBytes(new Sha256Compute().compute(task));
                    Map<String, Object> h = new HashMap<>();
                    h.put("TaskfarmJobId", props.getHeaders().get("TaskfarmJobId"));
                    h.put("TaskfarmTaskIndex", props.getHeaders().get("TaskfarmTaskIndex"));
                    h.put("TaskfarmStatus", "ok");
                    AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder().correlationId(props.getCorrelationId())
                            .contentType("application/json").deliveryMode(deliveryMode()).headers(h).build();
                    if (replies == null) {
                        ch.basicPublish("", props.getReplyTo(), reply, result);
                        ch.basicAck(delivery, false);
                        return;
                    }
                    replies.publish("", props.getReplyTo(), reply, result, ok -> {
                        try {
                            if (ok) {
                                ch.basicAck(delivery, false);
                            } else {
                                ch.basicNack(delivery, false, true);
                            }
                        } catch (IOException e) {
                            // channel gone: the request is redelivered
                        }
                    }, 30_000);
                } catch (Exception e) {
                    ch.basicNack(delivery, false, true);
                }
            }
        });
    }

    /** The client's reply consumer: one result per index of the current job, ack after counting. */
    private void startCollector(Channel ch) throws Exception {
        ch.basicQos(shape.prefetch());
        ch.basicConsume(replies, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws IOException {
                long now = System.nanoTime();
                RunState run = current;
                Map<String, Object> h = props.getHeaders();
                if (run != null && h != null && run.jobId.equals(String.valueOf(h.get("TaskfarmJobId")))) {
                    int i = ((Number) h.get("TaskfarmTaskIndex")).intValue();
                    if (i >= 0 && i < run.total && !run.seen.get(i)) {
                        run.seen.set(i);
                        run.results[i] = new String(body, StandardCharsets.UTF_8);
                        run.roundTrip[i] = now - run.publishedAt.get(i);
                        if (++run.count == run.total) {
                            run.done.countDown();
                        }
                    }
                }
                ch.basicAck(env.getDeliveryTag(), false);
            }
        });
    }

    /** Runs one job from an NDJSON file; returns its elapsed time and round trips. */
    Bench.RunResult run(String jobId, Path file, int total, long timeoutSeconds) throws Exception {
        RunState run = new RunState(jobId, total);
        current = run;
        long t0 = System.nanoTime();
        try (Channel ch = clientConnection.createChannel();
             BufferedReader in = Files.newBufferedReader(file)) {
            ConfirmWindow window = shape.confirms() ? new ConfirmWindow(ch, 1000) : null;
            int i = 0;
            for (String line; (line = in.readLine()) != null; i++) {
                Map<String, Object> h = new HashMap<>();
                h.put("TaskfarmJobId", jobId);
                h.put("TaskfarmTaskIndex", i);
                h.put("TaskfarmTaskCount", total);
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().correlationId(jobId + ":" + i)
                        .replyTo(replies).contentType("application/json").deliveryMode(deliveryMode()).headers(h).build();
                run.publishedAt.set(i, System.nanoTime());
                if (window == null) {
                    ch.basicPublish("", requests, props, line.getBytes(StandardCharsets.UTF_8));
                } else {
                    window.publish("", requests, props, line.getBytes(StandardCharsets.UTF_8), null, 30_000);
                }
            }
            if (window != null) {
                window.awaitAll(30_000);
            }
        }
        if (!run.done.await(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException(shape.label() + " job " + jobId + " got " + run.count + "/" + total
                    + " replies in " + timeoutSeconds + " s");
        }
        Path out = outDir.resolve(jobId + ".result.ndjson");
        try (BufferedWriter w = Files.newBufferedWriter(out)) {
            for (int i = 0; i < total; i++) {
                w.write("{\"index\":" + i + ",\"status\":\"ok\",\"result\":" + run.results[i] + "}\n");
            }
        }
        long elapsed = System.nanoTime() - t0;
        current = null;
        List<Long> rtt = new ArrayList<>(total);
        for (long v : run.roundTrip) {
            rtt.add(v / 1000);
        }
        Files.deleteIfExists(out);
        return new Bench.RunResult(total, elapsed / 1000, Stats.quantile(rtt, 0.5), Stats.quantile(rtt, 0.99));
    }

    /** 2 = persistent, 1 = transient. */
    private int deliveryMode() {
        return shape.durable() ? 2 : 1;
    }

    /** Deletes the baseline's queues (on a new connection: the broker may have closed ours). */
    void deleteQueues() throws Exception {
        try (Connection c = factory.newConnection("bench-cleanup"); Channel ch = c.createChannel()) {
            ch.queueDelete(requests);
            ch.queueDelete(replies);
        }
    }

    @Override
    public void close() throws Exception {
        if (workerConnection.isOpen()) {
            workerConnection.close();
        }
        if (clientConnection.isOpen()) {
            clientConnection.close();
        }
        workerThreads.shutdownNow();
    }
}
