package dev.taskfarm.durable;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Health of the collector, from {@link CollectorWatch}: DOWN once the collector has been unable to
 * consume or record replies for longer than the limit. As a readiness check
 * ({@code taskfarm-collector}, limit {@code taskfarm.health.ready-after}) it takes the coordinator
 * out of service; as a liveness check ({@code taskfarm-collector-live}, the longer
 * {@code taskfarm.health.live-after}) it has Kubernetes restart a process that stays wedged.
 */
public class CollectorHealthCheck extends AbstractHealthCheck {

    private final CollectorWatch watch;
    private final long limitMs;
    private final boolean liveness;

    public CollectorHealthCheck(CollectorWatch watch, long limitMs, boolean liveness) {
        super("taskfarm", liveness ? "taskfarm-collector-live" : "taskfarm-collector");
        this.watch = watch;
        this.limitMs = limitMs;
        this.liveness = liveness;
    }

    @Override
    public boolean isLiveness() {
        return liveness;
    }

    @Override
    public boolean isReadiness() {
        return !liveness;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long stalled = watch.stalledForMs();
        builder.detail("stalled.ms", stalled);
        builder.detail("limit.ms", limitMs);
        if (stalled > limitMs) {
            builder.message("the collector has consumed or recorded no reply for " + stalled + " ms while replies wait")
                    .down();
        } else {
            builder.up();
        }
    }
}
