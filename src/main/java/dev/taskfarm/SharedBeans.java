package dev.taskfarm;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import dev.taskfarm.broker.QueueTopology;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.ControlMessages;
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
        FarmMetrics metrics = new FarmMetrics(context, s.duration("taskfarm.metrics.finished-job-retention"));
        context.addStartupListener(metrics);
        registry.bind("farmMetrics", metrics);
        CancelledJobs cancelled = new CancelledJobs(s.duration("taskfarm.cancel.remember"), s.integer("taskfarm.cancel.capacity"));
        registry.bind("cancelledJobs", cancelled);
        registry.bind("cancelledTask", cancelled.taskOfCancelledJob());
        registry.bind("controlMessages", new ControlMessages(cancelled::add));
    }
}
