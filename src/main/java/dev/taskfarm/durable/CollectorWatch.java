package dev.taskfarm.durable;

import java.util.function.LongSupplier;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.InflightRepository;

/**
 * Tells how long the collector has been unable to consume or record replies, for the collector's
 * health checks. Two signs, sampled at every health call:
 * <ul>
 * <li>replies wait on the broker (ready messages on the replies queue) while no result has been
 * recorded since the previous sample: stalled since the first such sample;</li>
 * <li>a reply has been in the collector's route for long (a consumer blocked on the ledger, say):
 * the age of the oldest one in flight.</li>
 * </ul>
 * The longer of the two is the collector's stall; 0 while it keeps up or has nothing to do.
 */
public class CollectorWatch {

    /** The collector's consumer route (routes/coordinator, collect-replies). */
    static final String ROUTE = "collect-replies";

    private final InflightRepository inflight;
    private final LongSupplier recorded;
    private final LongSupplier waitingReplies;
    private long lastRecorded = -1;
    private long stalledSince;

    /**
     * @param recorded       results recorded so far (any monotonic count)
     * @param waitingReplies ready replies on the broker, or -1 when unknown
     */
    public CollectorWatch(CamelContext context, LongSupplier recorded, LongSupplier waitingReplies) {
        this.inflight = context.getInflightRepository();
        // needed to see how old the collector's exchanges in flight are
        inflight.setInflightBrowseEnabled(true);
        this.recorded = recorded;
        this.waitingReplies = waitingReplies;
    }

    /** Milliseconds the collector has been stalled; 0 when it is not. */
    public synchronized long stalledForMs() {
        long now = System.currentTimeMillis();
        long count = recorded.getAsLong();
        if (count != lastRecorded || waitingReplies.getAsLong() <= 0) {
            lastRecorded = count;
            stalledSince = 0;
        } else if (stalledSince == 0) {
            stalledSince = now;
        }
        long byQueue = stalledSince == 0 ? 0 : now - stalledSince;
        InflightRepository.InflightExchange oldest = inflight.oldest(ROUTE);
        long byInflight = oldest == null ? 0 : oldest.getDuration();
        return Math.max(byQueue, byInflight);
    }
}
