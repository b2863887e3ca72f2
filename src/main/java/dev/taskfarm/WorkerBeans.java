package dev.taskfarm;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.work.ComputeRunner;

/**
 * The worker role: the compute runner. The retries of a failing task inside a chunk are the
 * runner's (the route's redelivery policy, taskfarm.retry.*, retries a whole exchange, and a chunk
 * must not run its good tasks again because one failed); they read the same settings.
 */
public class WorkerBeans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        if (!s.role().works()) {
            return;
        }
        ComputeRunner runner = new ComputeRunner(Closer.bean(context, "computeRegistry", ComputeRegistry.class),
                s.duration("taskfarm.task.timeout").toMillis(),
                new ComputeRunner.Retry(s.integer("taskfarm.retry.max"), s.integer("taskfarm.retry.delay-ms"),
                        Double.parseDouble(s.text("taskfarm.retry.backoff")), s.integer("taskfarm.retry.max-delay-ms")),
                Closer.bean(context, "farmMetrics", FarmMetrics.class));
        context.getRegistry().bind("computeRunner", runner);
        context.addService(new Closer(runner));
    }
}
