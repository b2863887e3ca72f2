package dev.taskfarm.amqp;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/** One queue: {@code taskfarm-amqp:<queue>}; see {@link AmqpComponent} for the options. */
public class AmqpEndpoint extends DefaultEndpoint {

    private final String queue;
    private int consumers = 1;
    private int prefetch = 250;
    private int slots;
    private int lookahead = 4;
    private java.time.Duration holdTime;
    private int maxLookahead = 256;
    private java.time.Duration requeueDelay;
    private java.util.function.Supplier<? extends java.util.Collection<String>> queueSuffixes;
    private int confirmWindow = 1000;
    private long confirmTimeout = 30_000;
    private boolean completeOnConfirm;
    private ConfirmedPublisher publisher;
    private java.util.concurrent.ExecutorService completions;
    private MessageBatcher batcher;
    private Coalescer coalescer;
    private java.util.concurrent.ExecutorService flusher;

    AmqpEndpoint(String uri, AmqpComponent component, String queue) {
        super(uri, component);
        this.queue = queue;
    }

    @Override
    public AmqpComponent getComponent() {
        return (AmqpComponent) super.getComponent();
    }

    CachingConnectionFactory connectionFactory() {
        CachingConnectionFactory cf = getComponent().getConnectionFactory();
        if (cf == null) {
            throw new IllegalStateException("taskfarm-amqp: no CachingConnectionFactory in the registry");
        }
        return cf;
    }

    /** The producers of this endpoint share one channel and one window of unconfirmed publishes. */
    synchronized ConfirmedPublisher publisher() {
        if (publisher == null) {
            publisher = new ConfirmedPublisher(connectionFactory(), confirmWindow, confirmTimeout);
        }
        return publisher;
    }

    /** With a {@code batcher}: publishes messages that may travel together, else null. */
    synchronized Coalescer coalescer() {
        if (batcher == null) {
            return null;
        }
        if (coalescer == null) {
            flusher = getCamelContext().getExecutorServiceManager().newSingleThreadExecutor(this,
                    "taskfarm-amqp-batches-" + queue);
            coalescer = new Coalescer(publisher(), batcher, flusher);
        }
        return coalescer;
    }

    /** The thread that completes this endpoint's exchanges once their publishes are confirmed. */
    synchronized java.util.concurrent.Executor completions() {
        if (completeOnConfirm) {
            return Runnable::run;
        }
        if (completions == null) {
            completions = getCamelContext().getExecutorServiceManager().newSingleThreadExecutor(this,
                    "taskfarm-amqp-confirms-" + queue);
        }
        return completions;
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (publisher != null) {
            publisher.drop();
            publisher = null;
        }
        if (completions != null) {
            getCamelContext().getExecutorServiceManager().shutdownGraceful(completions);
            completions = null;
        }
        if (flusher != null) {
            getCamelContext().getExecutorServiceManager().shutdownGraceful(flusher);
            flusher = null;
            coalescer = null;
        }
        super.doStop();
    }

    public String getQueue() {
        return queue;
    }

    @Override
    public Producer createProducer() {
        return new AmqpProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        AmqpConsumer consumer = new AmqpConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    /**
     * Complete the exchange on the thread that delivers the confirm (the connection's I/O thread)
     * instead of the endpoint's completion thread: saves a thread hand-over per message, and is
     * only for a {@code to:} that is the last step of its route (the worker's reply), where what
     * follows is the consumer's acknowledgement and nothing can wait for another confirm.
     */
    public boolean isCompleteOnConfirm() {
        return completeOnConfirm;
    }

    public void setCompleteOnConfirm(boolean completeOnConfirm) {
        this.completeOnConfirm = completeOnConfirm;
    }

    public int getConsumers() {
        return consumers;
    }

    public void setConsumers(int consumers) {
        this.consumers = Math.max(1, consumers);
    }

    public int getPrefetch() {
        return prefetch;
    }

    public void setPrefetch(int prefetch) {
        this.prefetch = Math.max(1, prefetch);
    }

    /** The basic.qos of a consumer channel: {@code slots + lookahead} with slots, else {@code prefetch}. */
    int effectivePrefetch() {
        return slots > 0 ? slots + lookahead : prefetch;
    }

    /**
     * Deliveries run at once (0 = the {@code consumers}/{@code prefetch} shape): one channel, a
     * channel-global prefetch of {@code slots + lookahead}, a pool of this many threads.
     */
    public int getSlots() {
        return slots;
    }

    public void setSlots(int slots) {
        this.slots = Math.max(0, slots);
    }

    /** With {@code slots}: deliveries held beyond the running ones, at most. */
    public int getLookahead() {
        return lookahead;
    }

    public void setLookahead(int lookahead) {
        this.lookahead = Math.max(0, lookahead);
    }

    /**
     * With {@code slots}, on RabbitMQ: the time a held request may wait for a slot. The held count
     * then follows the measured time per request ({@code slots x holdTime / time per request},
     * between 1 and {@code maxLookahead}), starting from {@code lookahead}; unset or zero: always
     * {@code lookahead}. The embedded broker always holds {@code lookahead}.
     */
    public java.time.Duration getHoldTime() {
        return holdTime;
    }

    public void setHoldTime(java.time.Duration holdTime) {
        this.holdTime = holdTime;
    }

    /** With {@code holdTime}: requests held beyond the running ones, at most. */
    public int getMaxLookahead() {
        return maxLookahead;
    }

    public void setMaxLookahead(int maxLookahead) {
        this.maxLookahead = Math.max(1, maxLookahead);
    }

    /**
     * With {@code slots}: a delivery whose exchange failed is requeued after this long, doubled
     * for each earlier delivery (the quorum queue's {@code x-delivery-count}), 16x at most; unset:
     * at once.
     */
    public java.time.Duration getRequeueDelay() {
        return requeueDelay;
    }

    public void setRequeueDelay(java.time.Duration requeueDelay) {
        this.requeueDelay = requeueDelay;
    }

    /**
     * Consume {@code <queue>.<suffix>} for each suffix it supplies (asked when the consumer
     * starts) instead of {@code <queue>} itself: a worker's queues, one per compute it serves.
     */
    public java.util.function.Supplier<? extends java.util.Collection<String>> getQueueSuffixes() {
        return queueSuffixes;
    }

    public void setQueueSuffixes(java.util.function.Supplier<? extends java.util.Collection<String>> queueSuffixes) {
        this.queueSuffixes = queueSuffixes;
    }

    /**
     * Combines messages that are ready while an earlier one of their routing key awaits its
     * confirm into one ({@link Coalescer}); unset: every message goes alone.
     */
    public MessageBatcher getBatcher() {
        return batcher;
    }

    public void setBatcher(MessageBatcher batcher) {
        this.batcher = batcher;
    }

    public int getConfirmWindow() {
        return confirmWindow;
    }

    public void setConfirmWindow(int confirmWindow) {
        this.confirmWindow = Math.max(1, confirmWindow);
    }

    public long getConfirmTimeout() {
        return confirmTimeout;
    }

    public void setConfirmTimeout(long confirmTimeout) {
        this.confirmTimeout = Math.max(1, confirmTimeout);
    }
}
