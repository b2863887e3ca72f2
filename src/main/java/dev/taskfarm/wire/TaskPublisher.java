package dev.taskfarm.wire;

import java.io.IOException;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

import dev.taskfarm.broker.ConfirmWindow;
import dev.taskfarm.collect.JobProgress;

/**
 * Publishes a job's request messages with asynchronous publisher confirms: {@link #open} starts
 * a publishing session (a channel in confirm mode with a window of unconfirmed publishes),
 * {@link #publish} sends a batch of requests, {@link #close} waits until the broker confirmed
 * every one of them. A job therefore still counts as published only once every task is
 * confirmed, but the split no longer waits for each confirm in turn (Camel's InOnly producer
 * does), which was the publishing bottleneck.
 */
public class TaskPublisher implements AutoCloseable {

    static final String SESSION = "TaskfarmPublishSession";
    private static final int MAX_IDLE = 4;

    private final ConnectionFactory rabbit;
    private final String requestsQueue;
    private final int window;
    private final long confirmTimeoutMs;
    private final JobProgress progress;
    private final RequestMessages messages;
    private Connection connection;
    private final java.util.Deque<ConfirmWindow> idle = new java.util.ArrayDeque<>();

    public TaskPublisher(ConnectionFactory rabbit, String requestsQueue, RequestMessages messages, int window,
            long confirmTimeoutMs, JobProgress progress) {
        this.messages = messages;
        this.rabbit = rabbit;
        this.requestsQueue = requestsQueue;
        this.window = window;
        this.confirmTimeoutMs = confirmTimeoutMs;
        this.progress = progress;
    }

    /**
     * Starts publishing a job: the session lives until the exchange completes. Sessions (a channel
     * in confirm mode) are reused by later jobs, which saves a job three round trips to the broker.
     */
    public void open(Exchange exchange) throws Exception {
        ConfirmWindow session = take();
        exchange.setProperty(SESSION, session);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                release(session, !done.isFailed());
            }
        });
    }

    private ConfirmWindow take() throws Exception {
        synchronized (idle) {
            while (!idle.isEmpty()) {
                ConfirmWindow w = idle.pop();
                if (w.channel().isOpen()) {
                    return w;
                }
            }
        }
        return new ConfirmWindow(connection().createChannel(), window);
    }

    private void release(ConfirmWindow session, boolean reusable) {
        synchronized (idle) {
            if (reusable && session.inFlight() == 0 && session.channel().isOpen() && idle.size() < MAX_IDLE) {
                idle.push(session);
                return;
            }
        }
        try {
            session.channel().close();
        } catch (Exception e) {
            // closing a broken channel: nothing more to do
        }
    }

    /**
     * Publishes a batch of the job's requests, one message each (no wait for their confirms). The
     * job's progress counts them as published from here.
     */
    public void publish(Exchange exchange) throws Exception {
        ConfirmWindow session = exchange.getProperty(SESSION, ConfirmWindow.class);
        if (session == null) {
            throw new IllegalStateException("taskPublisher.open was not called before publish");
        }
        RequestBatch batch = exchange.getMessage().getMandatoryBody(RequestBatch.class);
        progress.onPublished(batch.jobId(), batch.firstIndex(), batch.tasks());
        for (int i = 0; i < batch.bodies().size(); i++) {
            session.publish("", requestsQueue, messages.properties(batch, i), messages.body(batch, i), null,
                    confirmTimeoutMs);
        }
    }

    /** Waits until the broker confirmed every request of the job; fails if one was rejected. */
    public void close(Exchange exchange) throws Exception {
        ConfirmWindow session = exchange.getProperty(SESSION, ConfirmWindow.class);
        if (session != null) {
            session.awaitAll(confirmTimeoutMs);
        }
    }

    private synchronized Connection connection() throws Exception {
        if (connection == null || !connection.isOpen()) {
            connection = rabbit.newConnection("taskfarm-publisher");
        }
        return connection;
    }

    @Override
    public synchronized void close() throws IOException {
        if (connection != null && connection.isOpen()) {
            connection.close();
        }
    }
}
