package dev.taskfarm.broker;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * The one reader of queue counts (ready messages and consumers, from a passive declare through the
 * process's admin) for the queue-depth metrics, the jobs' "no worker" status, the chunk planner's
 * worker slots, the re-drive's "nothing ready" check and the collector's health; a count is read
 * again only when the asker wants it fresher than the last one. And the coordinator's declare of a
 * compute's requests queue before a job for it is published ({@link #declare}).
 */
public class ComputeQueues {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeQueues.class);

    /** A queue's count: ready messages and consumers; {@code gone} when the queue does not exist. */
    public record Count(long ready, long consumers, boolean gone, long at) {
        /** The broker could not be asked. */
        public static final Count UNKNOWN = new Count(-1, -1, false, 0);
    }

    private final QueueTopology topology;
    private final RabbitAdmin admin;
    private final CachingConnectionFactory connectionFactory;
    private final Map<String, Count> last = new ConcurrentHashMap<>();

    public ComputeQueues(QueueTopology topology, RabbitAdmin admin, CachingConnectionFactory connectionFactory) {
        this.topology = topology;
        this.admin = admin;
        this.connectionFactory = connectionFactory;
    }

    public QueueTopology topology() {
        return topology;
    }

    /** Declares the compute's requests queue (once per process; the body stays as it is). */
    public void declare(@Header("TaskfarmCompute") String compute) {
        topology.declareCompute(admin, connectionFactory, compute);
    }

    /** The last count read of a compute's requests queue (no broker call), or {@link Count#UNKNOWN}. */
    public Count cached(String compute) {
        return last.getOrDefault(topology.requestsQueue(compute), Count.UNKNOWN);
    }

    /** Reads the requests queue of every compute declared here again, unless read within the last second. */
    public void readRequests() {
        for (String compute : topology.declaredComputes()) {
            requests(compute, 1000);
        }
    }

    /** The count of a compute's requests queue, at most {@code maxAgeMs} old. */
    public Count requests(String compute, long maxAgeMs) {
        return count(topology.requestsQueue(compute), maxAgeMs);
    }

    /** A queue's count, read from the broker unless the last one is at most {@code maxAgeMs} old. */
    public Count count(String queue, long maxAgeMs) {
        long now = System.currentTimeMillis();
        Count c = last.get(queue);
        if (c != null && now - c.at() <= maxAgeMs) {
            return c;
        }
        try {
            var info = admin.getQueueInfo(queue);
            c = info == null ? new Count(0, 0, true, now) : new Count(info.getMessageCount(), info.getConsumerCount(), false, now);
        } catch (Exception e) {
            LOG.debug("Cannot read queue {}: {}", queue, e.getMessage());
            return Count.UNKNOWN;
        }
        last.put(queue, c);
        return c;
    }

    /**
     * Says at start when the one requests queue of a version before task queues (named
     * {@code taskfarm.queue.requests} itself, without a compute) still holds requests: nothing
     * consumes it any more. Their tasks are not lost (each running job is re-driven from the ledger
     * once it stalls), but the queue stays until it is deleted.
     */
    public void warnAboutEarlierRequestsQueue() {
        Count old = count(topology.requests(), 0);
        if (!old.gone() && old.ready() > 0) {
            LOG.warn("Queue {} holds {} requests of an earlier taskfarm version (one queue for every compute);"
                    + " requests go to {}.<compute> now and nothing consumes it. The tasks of running jobs are"
                    + " published again by the re-drive (taskfarm.redrive.stall-after); delete the queue when"
                    + " no job of that version runs: rabbitmqctl delete_queue {}", topology.requests(), old.ready(),
                    topology.requests(), topology.requests());
        }
    }

    /** Declares the replies and dead-letter queues, and every compute queue declared so far, again. */
    public void redeclare() {
        topology.declare(admin, connectionFactory);
    }
}
