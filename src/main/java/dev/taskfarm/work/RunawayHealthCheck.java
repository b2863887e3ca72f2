package dev.taskfarm.work;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Liveness only: DOWN while a compute thread runs a task past its hard time limit (a compute that
 * ignores interruption, run on a thread: {@link RunawayGuard}). Restarting the worker is the only
 * way to get that CPU back; its requests are redelivered. Shows as {@code taskfarm-runaways}.
 */
public class RunawayHealthCheck extends AbstractHealthCheck {

    private final RunawayGuard guard;

    public RunawayHealthCheck(RunawayGuard guard) {
        super("taskfarm", "taskfarm-runaways");
        this.guard = guard;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    /** A Camel health check is a readiness check unless it says otherwise. */
    @Override
    public boolean isLiveness() {
        return true;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        int stuck = guard.stuckThreads();
        builder.detail("stuck-threads", stuck);
        if (guard.process() != null) {
            builder.detail("compute-process-pid", guard.process().pid());
        }
        if (stuck == 0) {
            builder.up();
        } else {
            builder.message(stuck + " compute thread(s) still run tasks past their hard time limit; restart this worker")
                    .down();
        }
    }
}
