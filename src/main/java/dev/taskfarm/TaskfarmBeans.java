package dev.taskfarm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.ConnectionFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.CamelConfiguration;
import io.vertx.core.VertxOptions;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

import dev.taskfarm.api.BodySpool;
import dev.taskfarm.api.HttpErrors;
import dev.taskfarm.api.JobApi;
import dev.taskfarm.api.WebPage;
import dev.taskfarm.broker.BrokerAddresses;
import dev.taskfarm.broker.BrokerHealthCheck;
import dev.taskfarm.broker.BrokerConnection;
import dev.taskfarm.broker.EmbeddedBroker;
import dev.taskfarm.broker.QueueMonitor;
import dev.taskfarm.broker.QueueTopology;
import dev.taskfarm.amqp.AmqpComponent;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.collect.GroupCommit;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.collect.JobWatchdog;
import dev.taskfarm.collect.LedgerAggregationRepository;
import dev.taskfarm.collect.ReplyBuffer;
import dev.taskfarm.collect.ReplyGate;
import dev.taskfarm.collect.ResultAggregation;
import dev.taskfarm.collect.ResultWriter;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.intake.JobIntake;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.work.CancelledJobs;
import dev.taskfarm.work.ComputeProcess;
import dev.taskfarm.work.ConsumerTimeoutCheck;
import dev.taskfarm.work.ComputeRunner;
import dev.taskfarm.work.RunawayGuard;
import dev.taskfarm.work.RunawayHealthCheck;
import dev.taskfarm.wire.ControlMessages;
import dev.taskfarm.wire.ReplyMessages;
import dev.taskfarm.wire.RequestMessages;

/**
 * Creates the beans the YAML routes call, for the role this process plays: the broker connection
 * (starting the embedded broker when no RabbitMQ is configured) and queue declaration for every
 * role; the ledger, intake and collector beans for a coordinator; the compute runner for a worker.
 */
public class TaskfarmBeans implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(TaskfarmBeans.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        Settings.Role role = s.role();
        Registry registry = context.getRegistry();
        LOG.info("taskfarm starting as role {}", role.name().toLowerCase());

        CachingConnectionFactory connectionFactory = connectionFactory(context, s);
        registry.bind("connectionFactory", connectionFactory);
        // requests and replies: taskfarm-amqp endpoints (acks and confirms are the endpoint's business)
        registry.bind("taskfarm-amqp", new AmqpComponent(connectionFactory));
        registry.bind("requeueOnFailure", requeueOnFailure());
        // declares what a route auto-declares (the worker's exclusive control queue) again on every
        // new connection, so a broker restart does not leave that consumer without its queue
        RabbitAdmin admin = new RabbitAdmin(connectionFactory);
        admin.setRedeclareManualDeclarations(true);
        admin.afterPropertiesSet();
        registry.bind("amqpAdmin", admin);
        QueueTopology topology = new QueueTopology(s.get("taskfarm.queue.requests", "taskfarm.requests"),
                s.get("taskfarm.queue.replies", "taskfarm.replies"),
                s.get("taskfarm.queue.dead-letters", "taskfarm.requests.dlq"),
                s.getInt("taskfarm.queue.delivery-limit", 5));
        declareQueues(connectionFactory, admin, topology, s);

        ComputeRegistry computes = new ComputeRegistry(context, s.get("taskfarm.computes.external", ""));
        registry.bind("computeRegistry", computes);
        registry.bind("replyMessages", new ReplyMessages(topology.replies()));
        FarmMetrics metrics = new FarmMetrics(context,
                s.getDuration("taskfarm.metrics.finished-job-retention", java.time.Duration.ofMinutes(5)));
        context.addStartupListener(metrics);
        registry.bind("farmMetrics", metrics);
        CancelledJobs cancelled = new CancelledJobs(s.getDuration("taskfarm.cancel.remember", java.time.Duration.ofHours(24)),
                s.getInt("taskfarm.cancel.capacity", 10000));
        registry.bind("cancelledJobs", cancelled);
        registry.bind("cancelledTask", cancelled.taskOfCancelledJob());
        registry.bind("controlMessages", new ControlMessages(cancelled));
        HealthCheckHelper.getHealthCheckRegistry(context).register(new BrokerHealthCheck(connectionFactory));

        if (role.works()) {
            RunawayGuard guard = runawayGuard(s, computes);
            ConsumerTimeoutCheck.check(connectionFactory, guard.hardLimit(s.getDuration("taskfarm.task.timeout",
                    java.time.Duration.ofMinutes(5))), s.getDuration("taskfarm.rabbitmq.consumer-timeout", java.time.Duration.ofMinutes(30)));
            context.addService(new Closer(guard));
            HealthCheckHelper.getHealthCheckRegistry(context).register(new RunawayHealthCheck(guard));
            ComputeRunner runner = new ComputeRunner(computes,
                    s.getDuration("taskfarm.task.timeout", java.time.Duration.ofMinutes(5)).toMillis(),
                    new ComputeRunner.Retry(s.getInt("taskfarm.retry.max", 3), s.getInt("taskfarm.retry.delay-ms", 100),
                            Double.parseDouble(s.get("taskfarm.retry.backoff", "2.0")),
                            s.getInt("taskfarm.retry.max-delay-ms", 5000)), metrics,
                    new dev.taskfarm.work.PermanentErrors(s.get("taskfarm.retry.permanent-errors", "")), guard);
            registry.bind("computeRunner", runner);
            context.addService(new Closer(runner));
        }
        if (role.coordinates()) {
            JobLedger ledger = ledger(context, s);
            JobProgress progress = new JobProgress(s.getInt("taskfarm.progress.interval-ms", 2000), metrics);
            registry.bind("jobLedger", ledger);
            registry.bind("jobProgress", progress);
            ChunkPlanner chunks = Chunking.planner(s, connectionFactory, topology.requests());
            registry.bind("computeCosts", chunks.costs());
            registry.bind("deadLetteredChunks", new dev.taskfarm.wire.DeadLetteredChunks(topology.requests()));
            registry.bind("chunkPlanner", chunks);
            registry.bind("jobIntake", new JobIntake(ledger, computes, progress,
                    s.get("taskfarm.job.default-compute", "sha256"),
                    s.getDuration("taskfarm.job.timeout", java.time.Duration.ofMinutes(15)),
                    Chunking.defaultSize(s), s.getInt("taskfarm.publish.batch-size", 100), chunks)
                    .admission(new dev.taskfarm.intake.Admission(computes, s.getInt("taskfarm.job.max-tasks", 10_000_000))));
            var claims = new dev.taskfarm.intake.InboxClaims(ledger,
                    s.getDuration("taskfarm.inbox.claim-expiry", java.time.Duration.ofMinutes(10)).toMillis(),
                    s.get("taskfarm.instance-id", dev.taskfarm.wire.ReplyMessages.hostName() + ":"
                            + Path.of("").toAbsolutePath()));
            registry.bind("inboxClaims", claims);
            context.addService(claims);
            registry.bind("requestMessages", new RequestMessages(topology.replies()));
            ReplyBuffer buffer = new ReplyBuffer(ledger, progress, s.getInt("taskfarm.collector.commit-size", 250),
                    s.getInt("taskfarm.collector.commit-interval-ms", 50),
                    context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "taskfarm-commit"));
            context.addService(new Closer(buffer));
            registry.bind("replyBuffer", buffer);
            registry.bind("groupCommit", new GroupCommit(buffer));
            registry.bind("replyGate", new ReplyGate(buffer, metrics));
            registry.bind("resultAggregation", new ResultAggregation());
            registry.bind("ledgerRepository", new LedgerAggregationRepository(ledger, buffer));
            registry.bind("resultWriter", new ResultWriter(ledger, progress, Path.of(s.get("taskfarm.outbox", "outbox")),
                    ndjsonFrom(s)));
            registry.bind("jobWatchdog", new JobWatchdog(ledger, s.getInt("taskfarm.watchdog.grace-ms", 5000)));
            bindApi(context, s, ledger, progress, cancelled);
            registry.bind("queueMonitor", new QueueMonitor(connectionFactory, topology, metrics));
            for (var job : ledger.inStatus(dev.taskfarm.ledger.JobRow.RUNNING)) {
                progress.track(job.jobId(), job.total(), job.done(), job.failed(), job.createdAt());
            }
        }
        new dev.taskfarm.durable.DurableBeans().configure(context);
    }

    /** Soft and hard task time limits, and where computes run (taskfarm.task.*). */
    private static RunawayGuard runawayGuard(Settings s, ComputeRegistry computes) {
        RunawayGuard.Isolation isolation = RunawayGuard.Isolation.parse(s.get("taskfarm.task.isolation", "auto"));
        long killAfter = s.getDuration("taskfarm.task.kill-after", java.time.Duration.ofSeconds(5)).toMillis();
        ComputeProcess process = isolation == RunawayGuard.Isolation.THREAD ? null
                : new ComputeProcess(s.get("taskfarm.task.process-jvm-options", ""),
                        s.get("taskfarm.retry.permanent-errors", ""), killAfter);
        return new RunawayGuard(isolation, computes, process, killAfter);
    }

    /**
     * What a consumer does when its route fails: put the message back on the queue. Spring's
     * default after the last retry logs "Message(s) dropped on recovery" and acknowledges the
     * message, which would lose a task (or a reply) on any unexpected failure, such as a route
     * stopping mid-exchange. A message that keeps failing is dead-lettered by the queue's
     * delivery limit instead.
     */
    private static org.aopalliance.intercept.MethodInterceptor requeueOnFailure() {
        return org.springframework.amqp.rabbit.config.RetryInterceptorBuilder.stateless()
                .maxAttempts(1)
                .recoverer(new org.springframework.amqp.rabbit.retry.ImmediateRequeueMessageRecoverer())
                .build();
    }

    /** The job API's beans; HTTP requests may run long (a big upload), so Vert.x is told not to warn about them. */
    private static void bindApi(CamelContext context, Settings s, JobLedger ledger, JobProgress progress,
            CancelledJobs cancelled) throws Exception {
        Path spoolDir = Path.of(s.get("taskfarm.api.spool-dir", Path.of(s.get("taskfarm.data", "data"), "spool").toString()));
        int maxUploads = s.getInt("taskfarm.api.max-concurrent-uploads", 16);
        BodySpool spool = new BodySpool(spoolDir, s.getLong("taskfarm.api.max-body-bytes", 256L * 1024 * 1024),
                s.getDuration("taskfarm.api.body-idle-timeout", java.time.Duration.ofSeconds(30)),
                s.getDuration("taskfarm.api.upload-timeout", java.time.Duration.ofMinutes(10)), maxUploads);
        spool.cleanUp();
        context.getRegistry().bind("jobApi", new JobApi(ledger, progress, spool, cancelled,
                s.getInt("taskfarm.api.max-listed", 1000), context.getRegistry().lookupByNameAndType("chunkPlanner",
                        ChunkPlanner.class)));
        context.getRegistry().bind("bodySpool", spool);
        context.getRegistry().bind("webPage", new WebPage());
        // an upload holds a worker thread while its body arrives: the uploads get their own share of
        // the pool on top of Vert.x's default 20, so slow uploads never take the threads of other requests
        VertxOptions vertx = new VertxOptions().setMaxWorkerExecuteTime(1).setMaxWorkerExecuteTimeUnit(TimeUnit.HOURS)
                .setWorkerPoolSize(VertxOptions.DEFAULT_WORKER_POOL_SIZE + maxUploads);
        context.getRegistry().bind("vertxOptions", vertx);
        context.addStartupListener(new HttpErrors());
    }

    /** Jobs from this many tasks get an NDJSON result file (taskfarm.result.format / .ndjson-from). */
    static long ndjsonFrom(Settings s) {
        String format = s.get("taskfarm.result.format", "auto");
        return switch (format) {
            case "json" -> Long.MAX_VALUE;
            case "ndjson" -> 0;
            case "auto" -> s.getInt("taskfarm.result.ndjson-from", 100_000);
            default -> throw new IllegalStateException("taskfarm.result.format must be auto, json or ndjson, got \"" + format + "\"");
        };
    }

    private CachingConnectionFactory connectionFactory(CamelContext context, Settings s) throws Exception {
        ConnectionFactory rabbit = brokerFactory(context, s);
        // consumers run on this pool (one thread per busy consumer, not 2 x cores)
        var consumerPool = context.getExecutorServiceManager().newCachedThreadPool(this, "taskfarm-amqp-connection");
        // unique per process, so an operator (or a test) can find and close exactly this farm's connection
        String connectionName = "taskfarm-" + s.role().name().toLowerCase() + "@" + s.get("taskfarm.instance-id",
                ReplyMessages.hostName() + ":" + Path.of("").toAbsolutePath());
        CachingConnectionFactory cf = BrokerConnection.caching(rabbit, connectionName,
                s.getInt("taskfarm.rabbitmq.channel-cache-size", 64), consumerPool);
        LOG.info("AMQP broker: {} as user {}", BrokerConnection.describe(cf), cf.getUsername());
        return cf;
    }

    private ConnectionFactory brokerFactory(CamelContext context, Settings s) throws Exception {
        String mode = s.get("taskfarm.broker", "auto");
        String url = s.get("taskfarm.rabbitmq.url", null);
        String host = s.get("taskfarm.rabbitmq.host", null);
        String addresses = s.get("taskfarm.rabbitmq.addresses", null);
        boolean embedded = "embedded".equals(mode) || "auto".equals(mode) && url == null && host == null && addresses == null;
        if (embedded) {
            String user = "taskfarm";
            String password = s.get("taskfarm.embedded.password", UUID.randomUUID().toString());
            EmbeddedBroker broker = EmbeddedBroker.start(s.getInt("taskfarm.embedded.port", 5673), user, password,
                    Path.of(s.get("taskfarm.data", "data"), "broker"), s.getBoolean("taskfarm.embedded.fsync", false));
            context.addService(new Closer(broker));
            ConnectionFactory rabbit = new ConnectionFactory();
            rabbit.setHost("127.0.0.1");
            rabbit.setPort(broker.port());
            rabbit.setUsername(user);
            rabbit.setPassword(password);
            return rabbit;
        }
        if (!"rabbitmq".equals(mode) && !"auto".equals(mode)) {
            throw new IllegalStateException("taskfarm.broker must be auto, embedded or rabbitmq, got \"" + mode + "\"");
        }
        return BrokerConnection.rabbitMq(key -> s.get(key, null));
    }

    /** Declares the queues and the control exchange once the broker answers (it may start after us on Kubernetes). */
    private static void declareQueues(CachingConnectionFactory cf, RabbitAdmin admin, QueueTopology topology, Settings s)
            throws Exception {
        BrokerConnection.await(cf, s.getDuration("taskfarm.broker.wait", java.time.Duration.ofSeconds(60)));
        topology.declare(admin, cf);
        admin.declareExchange(new FanoutExchange(s.get("taskfarm.exchange.control", "taskfarm.control"), true, false));
    }

    private static JobLedger ledger(CamelContext context, Settings s) throws Exception {
        HikariConfig hc = new HikariConfig();
        String url = s.get("taskfarm.ledger.url", null);
        if (url == null) {
            Path data = Path.of(s.get("taskfarm.data", "data"));
            Files.createDirectories(data);
            // WRITE_DELAY=0: a commit is on disk when commit() returns. H2's default (500 ms) loses
            // the last committed results when the process is killed, after their replies were acked.
            url = "jdbc:h2:file:" + data.toAbsolutePath().resolve("ledger") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        }
        hc.setJdbcUrl(url);
        hc.setUsername(s.get("taskfarm.ledger.username", url.startsWith("jdbc:h2:") ? "sa" : null));
        hc.setPassword(s.get("taskfarm.ledger.password", url.startsWith("jdbc:h2:") ? "" : null));
        hc.setMaximumPoolSize(s.getInt("taskfarm.ledger.pool-size", 8));
        hc.setPoolName("taskfarm-ledger");
        HikariDataSource ds = new HikariDataSource(hc);
        context.addService(new Closer(ds));
        JobLedger ledger = new JobLedger(ds);
        ledger.createSchema();
        LOG.info("Job ledger: {}", url.replaceAll("password=[^;&]*", "password=***"));
        return ledger;
    }

    /** Closes a resource when the Camel context stops. */
    static final class Closer extends ServiceSupport {
        private final AutoCloseable resource;

        Closer(AutoCloseable resource) {
            this.resource = resource;
        }

        @Override
        protected void doStop() throws Exception {
            resource.close();
        }
    }
}
