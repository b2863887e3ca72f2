package dev.taskfarm;

import java.nio.file.Files;
import java.nio.file.Path;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.broker.QueueMonitor;
import dev.taskfarm.broker.QueueTopology;
import dev.taskfarm.collect.GroupCommit;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.collect.JobWatchdog;
import dev.taskfarm.collect.LedgerAggregationRepository;
import dev.taskfarm.collect.ReplyBuffer;
import dev.taskfarm.collect.ReplyGate;
import dev.taskfarm.collect.ResultAggregation;
import dev.taskfarm.collect.ResultWriter;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.dispatch.Backlog;
import dev.taskfarm.dispatch.Dispatcher;
import dev.taskfarm.intake.Admission;
import dev.taskfarm.intake.InboxClaims;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.DeadLetteredChunks;
import dev.taskfarm.wire.RequestMessages;

/**
 * The coordinator role: the job ledger, intake and publishing, the collector (reply gate, group
 * commit, Aggregator repository, result writer), the watchdog and the queue monitor; the
 * progress of jobs that were running before a restart is restored.
 */
public class CoordinatorBeans implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorBeans.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        if (!s.role().coordinates()) {
            return;
        }
        Registry registry = context.getRegistry();
        QueueTopology topology = Closer.bean(context, "queueTopology", QueueTopology.class);
        FarmMetrics metrics = Closer.bean(context, "farmMetrics", FarmMetrics.class);
        JobLedger ledger = ledger(context, s);
        JobProgress progress = new JobProgress(s.integer("taskfarm.progress.interval-ms"), metrics);
        registry.bind("jobLedger", ledger);
        registry.bind("jobProgress", progress);
        ComputeRegistry computes = Closer.bean(context, "computeRegistry", ComputeRegistry.class);
        CachingConnectionFactory cf = Closer.bean(context, "connectionFactory", CachingConnectionFactory.class);
        ComputeQueues queues = Closer.bean(context, "computeQueues", ComputeQueues.class);
        ChunkPlanner chunks = Chunking.planner(s, queues);
        // the queue of every compute a job may name exists from the start (workers and KEDA find it)
        // (best effort: a broker that is away right now must not stop the coordinator, which waits
        // for it like any reconnect; the dispatch declares a compute's queue before publishing to it)
        for (String compute : computes.names()) {
            if (computes.isKnown(compute)) {
                try {
                    queues.declare(compute);
                } catch (IllegalStateException e) {
                    LOG.warn("{}; declared again before its first"
                            + " job is published", e.getMessage());
                }
            }
        }
        queues.warnAboutEarlierRequestsQueue();
        registry.bind("chunkPlanner", chunks);
        registry.bind("computeCosts", chunks.costs());
        registry.bind("deadLetteredChunks", new DeadLetteredChunks(topology.requests()));
        JobIntake intake = new JobIntake(ledger, computes, progress, s.text("taskfarm.job.default-compute"),
                s.duration("taskfarm.job.timeout"), Chunking.defaultSize(s), s.integer("taskfarm.publish.batch-size"),
                chunks).admission(new Admission(computes, s.integer("taskfarm.job.max-tasks")))
                .autoBatchSize(s.integer("taskfarm.publish.auto-batch-size"));
        registry.bind("jobIntake", intake);
        int slotsPerWorker = s.integer("taskfarm.worker.slots");
        Dispatcher dispatcher = new Dispatcher(intake, ledger,
                compute -> Chunking.cachedSlots(queues, compute, slotsPerWorker),
                s.duration("taskfarm.dispatch.queue-time").toMillis(), s.longValue("taskfarm.dispatch.max-window"),
                s.integer("taskfarm.publish.batch-size"), s.integer("taskfarm.dispatch.quantum"),
                s.integer("taskfarm.dispatch.messages-per-slot"));
        dispatcher.setWakeup(wakeup(context));
        // the windows grow while a compute's queue runs empty (as the dispatch tick last read it)
        // up to what the compute's workers hold (consumers x slots + lookahead: the count a
        // lookahead bounded by time starts from, not the most it may grow to; a worker that
        // holds more of tiny tasks empties the queue sooner, and windows grown to the most would
        // hand a whole job to the workers' FIFO buffers, past the fair share)
        int holdPerWorker = slotsPerWorker + s.integer("taskfarm.worker.lookahead");
        dispatcher.setBacklog(compute -> {
            ComputeQueues.Count count = queues.cached(compute);
            return count == ComputeQueues.Count.UNKNOWN ? null : new Backlog.Reading(count.ready(), count.at(),
                    Math.max(1, count.consumers()) * holdPerWorker);
        });
        progress.setResultListener(dispatcher);
        registry.bind("jobDispatcher", dispatcher);
        InboxClaims claims = new InboxClaims(ledger, s.duration("taskfarm.inbox.claim-expiry").toMillis(), s.instanceId());
        registry.bind("inboxClaims", claims);
        context.addService(claims);
        registry.bind("requestMessages", new RequestMessages(topology.replies(), s.integer("taskfarm.collector.reply-batch")));

        ReplyBuffer buffer = new ReplyBuffer(ledger, progress, s.integer("taskfarm.collector.commit-size"),
                s.integer("taskfarm.collector.commit-interval-ms"),
                context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "taskfarm-commit"));
        context.addService(new Closer(buffer));
        registry.bind("replyBuffer", buffer);
        registry.bind("groupCommit", new GroupCommit(buffer));
        registry.bind("replyGate", new ReplyGate(buffer, metrics, chunks.costs()));
        registry.bind("resultAggregation", new ResultAggregation());
        registry.bind("ledgerRepository", new LedgerAggregationRepository(ledger, buffer));
        ResultWriter writer = new ResultWriter(ledger, progress, Path.of(s.text("taskfarm.outbox")), ndjsonFrom(s));
        // an ended job (completed, timed out, cancelled) is dispatched no more
        writer.addListener((job, status, file, tally) -> dispatcher.drop(job.jobId()));
        registry.bind("resultWriter", writer);
        registry.bind("jobWatchdog", new JobWatchdog(ledger, s.integer("taskfarm.watchdog.grace-ms")));
        registry.bind("queueMonitor", new QueueMonitor(queues, computes::names, metrics));
        for (JobRow job : ledger.inStatus(JobRow.RUNNING)) {
            progress.track(job.jobId(), job.total(), job.done(), job.failed(), job.createdAt());
        }
    }

    /**
     * Wakes the dispatch route (routes/coordinator/20-publish-tasks): a message to its endpoint,
     * dropped when one is already waiting there.
     */
    static Runnable wakeup(CamelContext context) {
        org.apache.camel.ProducerTemplate[] template = new org.apache.camel.ProducerTemplate[1];
        org.apache.camel.Endpoint[] endpoint = new org.apache.camel.Endpoint[1];
        return () -> {
            org.apache.camel.ProducerTemplate t;
            org.apache.camel.Endpoint e;
            synchronized (template) {
                if (template[0] == null) {
                    template[0] = context.createProducerTemplate();
                }
                // resolved once (by its URI every wakeup parsed and normalised it again), and again
                // if a route reload stopped it
                if (endpoint[0] == null || endpoint[0] instanceof org.apache.camel.StatefulService s
                        && (s.isStopping() || s.isStopped())) {
                    endpoint[0] = context.getEndpoint(DISPATCH_ENDPOINT);
                }
                t = template[0];
                e = endpoint[0];
            }
            t.sendBody(e, null);
        };
    }

    /** The dispatch route's endpoint, as the route files name it. */
    public static final String DISPATCH_ENDPOINT = "seda:dispatch?size=1&discardWhenFull=true";

    /** Jobs from this many tasks get an NDJSON result file (taskfarm.result.format / .ndjson-from). */
    static long ndjsonFrom(Settings s) {
        String format = s.text("taskfarm.result.format");
        return switch (format) {
            case "json" -> Long.MAX_VALUE;
            case "ndjson" -> 0;
            case "auto" -> s.integer("taskfarm.result.ndjson-from");
            default -> throw new IllegalStateException("taskfarm.result.format must be auto, json or ndjson, got \"" + format + "\"");
        };
    }

    private static JobLedger ledger(CamelContext context, Settings s) throws Exception {
        HikariConfig hc = new HikariConfig();
        String url = s.optional("taskfarm.ledger.url");
        if (url == null) {
            Path data = Path.of(s.text("taskfarm.data"));
            Files.createDirectories(data);
            // WRITE_DELAY=0: a commit is on disk when commit() returns. H2's default (500 ms) loses
            // the last committed results when the process is killed, after their replies were acked.
            url = "jdbc:h2:file:" + data.toAbsolutePath().resolve("ledger") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        }
        hc.setJdbcUrl(url);
        String user = s.optional("taskfarm.ledger.username");
        String password = s.optional("taskfarm.ledger.password");
        hc.setUsername(user == null && url.startsWith("jdbc:h2:") ? "sa" : user);
        hc.setPassword(password == null && url.startsWith("jdbc:h2:") ? "" : password);
        hc.setMaximumPoolSize(s.integer("taskfarm.ledger.pool-size"));
        hc.setPoolName("taskfarm-ledger");
        HikariDataSource ds = new HikariDataSource(hc);
        context.addService(new Closer(ds));
        JobLedger ledger = new JobLedger(ds);
        ledger.createSchema();
        LOG.info("Job ledger: {}", url.replaceAll("password=[^;&]*", "password=***"));
        return ledger;
    }
}
