package dev.taskfarm.amqp;

import java.util.BitSet;

import com.rabbitmq.client.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles the deliveries of one consumer channel. A delivery whose exchange failed is rejected
 * with requeue at once. Completed deliveries are acknowledged together, with one multiple-ack up
 * to the highest tag below which every delivery is settled, when that frontier moved by
 * {@code batch} or no delivery of the channel is still being processed, so a burst of completions (a
 * group commit) costs one frame, not one per reply. Everything lives and dies with its channel:
 * a new channel gets a new settler, so a delivery tag is only ever sent on the channel that
 * delivered it; once the channel is closed nothing is sent (the broker redelivers).
 *
 * <p>A delivery still running below completed ones (a long task on one slot of a channel that feeds
 * several) holds the frontier back; the completed deliveries above it are then acknowledged one by
 * one once {@code beyondLimit} of them wait, so they never fill the channel's prefetch and the
 * broker keeps delivering to the other slots. (Tiny tasks finishing slightly out of order unblock
 * the frontier long before that, and keep their grouped multiple-acks.)
 */
final class DeliverySettler {

    private static final Logger LOG = LoggerFactory.getLogger(DeliverySettler.class);

    private final Channel channel;
    private int batch;
    private int beyondLimit;
    private long busySince = System.nanoTime();
    /** settled[i]: delivery tag {@code base + i} is settled (acked or nacked) but maybe not yet acknowledged. */
    private final BitSet settled = new BitSet();
    /** gone[i]: tag {@code base + i} is no longer unacknowledged on the channel (rejected, or acknowledged alone). */
    private final BitSet gone = new BitSet();
    /** Completed tags above the first unsettled one, not acknowledged yet. */
    private int beyond;
    private long base = 1;
    private long lastAcked;
    private long open;

    /**
     * For a channel with this prefetch: completed deliveries are acknowledged in groups of a
     * quarter of it (at most 100), well inside it so the broker keeps delivering, and one by one
     * once half of it waits above an unsettled one.
     */
    DeliverySettler(Channel channel, int prefetch) {
        this.channel = channel;
        prefetch(prefetch);
    }

    Channel channel() {
        return channel;
    }

    synchronized void delivered() {
        if (open++ == 0) {
            busySince = System.nanoTime();
        }
    }

    /** No delivery of the channel is being processed. */
    synchronized boolean idle() {
        return open == 0;
    }

    /** When the channel last went from no delivery in process to one (System.nanoTime). */
    synchronized long busySince() {
        return busySince;
    }

    /** The grouping limits of a channel whose prefetch is now this (see the constructor). */
    synchronized void prefetch(int prefetch) {
        this.batch = Math.max(1, Math.min(100, prefetch / 4));
        this.beyondLimit = Math.max(this.batch, prefetch / 2);
    }
    synchronized void settle(long tag, boolean ok) {
        open--;
        if (!channel.isOpen()) {
            LOG.debug("Delivery {} not settled: its channel closed, the broker delivers it again", tag);
            return;
        }
        try {
            int i = (int) (tag - base);
            if (!ok) {
                channel.basicNack(tag, false, true);
                gone.set(i);
            }
            settled.set(i);
            int contiguous = settled.nextClearBit(0);
            long frontier = base + contiguous - 1;
            if (frontier >= base && (frontier - lastAcked >= batch || open == 0)) {
                acknowledge(contiguous);
            } else if (ok && i >= contiguous && ++beyond >= beyondLimit) {
                acknowledgeBeyond();
            }
        } catch (Exception e) {
            LOG.debug("Delivery {} not settled ({}): the broker delivers it again", tag, e.getMessage());
        }
    }

    /** Acknowledges the first {@code contiguous} settled tags with one multiple-ack (rejected ones are gone already). */
    private void acknowledge(int contiguous) throws java.io.IOException {
        int lastOk = contiguous - 1;
        while (lastOk >= 0 && gone.get(lastOk)) {
            lastOk--;
        }
        if (lastOk >= 0) {
            // must name a tag still unacknowledged on the channel, never a rejected one
            channel.basicAck(base + lastOk, true);
        }
        lastAcked = base + contiguous - 1;
        base += contiguous;
        shift(settled, contiguous);
        shift(gone, contiguous);
        BitSet waiting = (BitSet) settled.clone();
        waiting.andNot(gone);
        beyond = waiting.cardinality();
    }

    /** Acknowledges, one by one, the completed tags that wait above the first unsettled one. */
    private void acknowledgeBeyond() throws java.io.IOException {
        for (int i = settled.nextSetBit(0); i >= 0; i = settled.nextSetBit(i + 1)) {
            if (!gone.get(i)) {
                channel.basicAck(base + i, false);
                gone.set(i);
            }
        }
        beyond = 0;
    }

    private static void shift(BitSet bits, int n) {
        BitSet rest = bits.get(n, Math.max(n, bits.length()));
        bits.clear();
        bits.or(rest);
    }
}
