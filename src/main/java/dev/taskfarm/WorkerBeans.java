package dev.taskfarm;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.work.ComputeProcess;
import dev.taskfarm.work.ComputeRunner;
import dev.taskfarm.work.ConsumerTimeoutCheck;
import dev.taskfarm.work.PermanentErrors;
import dev.taskfarm.work.RunawayGuard;
import dev.taskfarm.work.RunawayHealthCheck;
import dev.taskfarm.work.WorkerComputes;

/**
 * The worker role: the compute runner, with its time limits (a runaway compute is stopped for
 * good, see RunawayGuard) and the check of RabbitMQ's consumer timeout. The retries of a failing
 * task (taskfarm.retry.*) are the runner's only: the route redelivers nothing (a chunk must not run
 * its good tasks again because one failed, and a redelivery policy makes Camel copy every exchange).
 */
public class WorkerBeans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        if (!s.role().works()) {
            return;
        }
        renamed(s, "taskfarm.worker.consumers", "taskfarm.worker.slots");
        renamed(s, "taskfarm.worker.prefetch", "taskfarm.worker.lookahead");
        ComputeRegistry computes = Closer.bean(context, "computeRegistry", ComputeRegistry.class);
        String permanent = java.util.Objects.requireNonNullElse(s.optional("taskfarm.retry.permanent-errors"), "");
        var executors = context.getExecutorServiceManager();
        RunawayGuard guard = runawayGuard(s, computes, permanent,
                executors.newSingleThreadScheduledExecutor(RunawayGuard.class, "taskfarm-runaway-timer"));
        ConsumerTimeoutCheck.check(Closer.bean(context, "connectionFactory", CachingConnectionFactory.class),
                guard.hardLimit(s.duration("taskfarm.task.timeout")), s.duration("taskfarm.rabbitmq.consumer-timeout"));
        context.addService(new Closer(guard));
        HealthCheckHelper.getHealthCheckRegistry(context).register(new RunawayHealthCheck(guard));
        ComputeRunner runner = new ComputeRunner(computes, s.duration("taskfarm.task.timeout").toMillis(),
                new ComputeRunner.Retry(s.integer("taskfarm.retry.max"), s.integer("taskfarm.retry.delay-ms"),
                        Double.parseDouble(s.text("taskfarm.retry.backoff")), s.integer("taskfarm.retry.max-delay-ms")),
                Closer.bean(context, "farmMetrics", FarmMetrics.class), new PermanentErrors(permanent), guard,
                executors.newCachedThreadPool(ComputeRunner.class, "taskfarm-compute"));
        context.getRegistry().bind("computeRunner", runner);
        context.getRegistry().bind("workerComputes", new WorkerComputes(computes,
                Closer.bean(context, "computeQueues", dev.taskfarm.broker.ComputeQueues.class),
                java.util.Objects.requireNonNullElse(s.optional("taskfarm.worker.computes"), "")));
        context.addService(new Closer(runner));
    }

    /** Soft and hard task time limits, and where computes run (taskfarm.task.*). */
    private static RunawayGuard runawayGuard(Settings s, ComputeRegistry computes, String permanent,
            java.util.concurrent.ScheduledExecutorService timer) {
        RunawayGuard.Isolation isolation = RunawayGuard.Isolation.parse(s.text("taskfarm.task.isolation"));
        long killAfter = s.duration("taskfarm.task.kill-after").toMillis();
        ComputeProcess process = isolation == RunawayGuard.Isolation.THREAD ? null
                : new ComputeProcess(java.util.Objects.requireNonNullElse(s.optional("taskfarm.task.process-jvm-options"), ""),
                        permanent, killAfter, s.optional("taskfarm.computes.dir"));
        return new RunawayGuard(isolation, computes, process, killAfter, timer);
    }

    /** A key of an earlier version is ignored: say so, and which key replaced it. */
    private static void renamed(Settings s, String old, String replacement) {
        if (s.optional(old) != null) {
            org.slf4j.LoggerFactory.getLogger(WorkerBeans.class).warn("{} is no longer read: it became {} (now {}; "
                    + "docs/DESIGN-NOTES.md \"Compute slots\")", old, replacement, s.text(replacement));
        }
    }
}
