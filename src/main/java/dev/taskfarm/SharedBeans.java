package dev.taskfarm;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import dev.taskfarm.broker.QueueTopology;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.ControlMessages;
import dev.taskfarm.wire.ReplyBatches;
import dev.taskfarm.wire.ReplyMessages;
import dev.taskfarm.work.CancelledJobs;

/** Every role: computes, metrics, reply messages (dead letters and workers), cancelled jobs and control messages. */
public class SharedBeans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        Registry registry = context.getRegistry();
        QueueTopology topology = Closer.bean(context, "queueTopology", QueueTopology.class);
        ComputeRegistry computes = new ComputeRegistry(context,
                java.util.Objects.requireNonNullElse(s.optional("taskfarm.computes.external"), ""));
        // a compute whose queue would be the dead-letter or replies queue is refused
        computes.setRefusal(topology::refusal);
        registry.bind("computeRegistry", computes);
        registry.bind("replyMessages", new ReplyMessages(topology.replies()));
        registry.bind("replyBatches", new ReplyBatches());
        registry.bind("farmMetrics", new FarmMetrics(prometheus(registry), s.duration("taskfarm.metrics.finished-job-retention")));
        CancelledJobs cancelled = new CancelledJobs(s.duration("taskfarm.cancel.remember"), s.integer("taskfarm.cancel.capacity"));
        registry.bind("cancelledJobs", cancelled);
        registry.bind("cancelledTask", cancelled.taskOfCancelledJob());
        registry.bind("controlMessages", new ControlMessages(cancelled::add));
    }

    /**
     * The registry camel-micrometer-prometheus serves on /observe/metrics, so Camel's and taskfarm's
     * meters live in one registry: camel-main creates it (bound as metricsRegistry) while it
     * configures the context, before these beans; when metrics are off there is none, and this one
     * is bound under the name Camel would look up first.
     */
    static PrometheusMeterRegistry prometheus(Registry registry) {
        PrometheusMeterRegistry served = registry.lookupByNameAndType("metricsRegistry", PrometheusMeterRegistry.class);
        if (served == null) {
            served = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind("metricsRegistry", served);
        }
        return served;
    }
}
