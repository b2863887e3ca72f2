package dev.taskfarm;

import java.nio.file.Path;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.broker.QueueTopology;
import dev.taskfarm.durable.CancelAnnouncer;
import dev.taskfarm.durable.CollectorHealthCheck;
import dev.taskfarm.durable.CollectorWatch;
import dev.taskfarm.durable.JobInputs;
import dev.taskfarm.durable.JobLeases;
import dev.taskfarm.durable.Redrive;
import dev.taskfarm.collect.ResultWriter;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;

/**
 * Beans of durable execution for a coordinator: job ownership (leases in the ledger), kept job
 * inputs and the re-drive of stalled jobs ({@code routes/coordinator/21-redrive.camel.yaml}).
 * Runs after the coordinator's beans are bound, whose {@code jobLedger}, {@code jobIntake} and
 * {@code resultWriter} it uses.
 */
public class DurableBeans implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(DurableBeans.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        if (!s.role().coordinates()) {
            return;
        }
        Registry registry = context.getRegistry();
        JobLedger ledger = registry.lookupByNameAndType("jobLedger", JobLedger.class);
        CachingConnectionFactory cf = registry.lookupByNameAndType("connectionFactory", CachingConnectionFactory.class);
        RabbitAdmin admin = registry.lookupByNameAndType("amqpAdmin", RabbitAdmin.class);
        String owner = s.instanceId();
        JobLeases leases = new JobLeases(ledger.dataSource(), owner,
                s.duration("taskfarm.lease.duration").toMillis());
        leases.createSchema();
        String inputDir = s.optional("taskfarm.redrive.input-dir");
        JobInputs inputs = new JobInputs(inputDir != null ? Path.of(inputDir) : Path.of(s.text("taskfarm.data"), "inputs"));
        QueueTopology topology = registry.lookupByNameAndType("queueTopology", QueueTopology.class);
        ComputeQueues queues = registry.lookupByNameAndType("computeQueues", ComputeQueues.class);
        Redrive redrive = new Redrive(ledger, leases, inputs, compute -> readyRequests(queues, compute),
                s.duration("taskfarm.redrive.stall-after").toMillis());
        redrive.sweep();
        registry.bind("jobLeases", leases);
        registry.bind("jobRedrive", redrive);
        registry.lookupByNameAndType("jobIntake", JobIntake.class).setKeeper(redrive);
        redrive.setDispatching(registry.lookupByNameAndType("jobDispatcher", dev.taskfarm.durable.Dispatching.class));
        registry.lookupByNameAndType("resultWriter", ResultWriter.class)
                .addListener((job, status, file, tally) -> redrive.ended(job.jobId()));
        registry.bind("cancelAnnouncer", new CancelAnnouncer(ledger.dataSource(),
                s.duration("taskfarm.cancel.announce-for").toMillis()));
        CollectorWatch watch = new CollectorWatch(context, () -> recorded(registry),
                () -> queues.count(topology.replies(), 0).ready());
        var health = org.apache.camel.health.HealthCheckHelper.getHealthCheckRegistry(context);
        health.register(new CollectorHealthCheck(watch,
                s.duration("taskfarm.health.ready-after").toMillis(), false));
        health.register(new CollectorHealthCheck(watch,
                s.duration("taskfarm.health.live-after").toMillis(), true));
        LOG.info("Jobs owned as {} (lease {}), inputs kept in {}", owner, s.text("taskfarm.lease.duration"),
                inputs.dir());
    }

    /** Results recorded by this process (ok and error), from taskfarm's counters. */
    static long recorded(Registry registry) {
        var metrics = registry.lookupByNameAndType("farmMetrics", dev.taskfarm.metrics.FarmMetrics.class).registry();
        double n = 0;
        for (String name : new String[] {"taskfarm.tasks.completed", "taskfarm.tasks.failed"}) {
            var c = metrics.find(name).counter();
            n += c == null ? 0 : c.count();
        }
        return (long) n;
    }

    /**
     * Ready requests on a compute's requests queue (asked for a stalled job). A queue that is gone
     * (deleted, or lost with the broker's data) is declared again first: the compute's requests
     * queue, so the re-drive does not publish into nothing, and the replies queue, whose loss is
     * what stalls every job (the broker drops the replies as unroutable, and the collector's
     * consumer waits for a queue that nobody declares).
     */
    static long readyRequests(ComputeQueues queues, String compute) {
        ComputeQueues.Count c = queues.requests(compute, 0);
        String replies = queues.topology().replies();
        boolean repliesGone = queues.count(replies, 0).gone();
        if (c.gone() || repliesGone) {
            LOG.warn("The {} queue {} is gone: declaring the queues again", c.gone() ? "requests" : "replies",
                    c.gone() ? queues.topology().requestsQueue(compute) : replies);
            try {
                queues.redeclare();
                queues.declare(compute);
            } catch (RuntimeException e) {
                LOG.debug("Cannot declare the queues: {}", e.getMessage());
                return -1;
            }
            return c.gone() ? 0 : c.ready();
        }
        return c.ready();
    }
}
