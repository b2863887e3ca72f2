package dev.taskfarm;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.VertxOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import dev.taskfarm.api.ApiErrors;
import dev.taskfarm.api.BodySpool;
import dev.taskfarm.api.HttpErrors;
import dev.taskfarm.api.JobApi;
import dev.taskfarm.api.WebPage;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.work.CancelledJobs;

/**
 * The coordinator's job API and jobs page. HTTP requests may run long (a big upload), so Vert.x
 * is told not to warn about them.
 */
public class ApiBeans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        if (!s.role().coordinates()) {
            return;
        }
        String spoolDir = s.optional("taskfarm.api.spool-dir");
        int maxUploads = s.integer("taskfarm.api.max-concurrent-uploads");
        BodySpool spool = new BodySpool(spoolDir != null ? Path.of(spoolDir) : Path.of(s.text("taskfarm.data"), "spool"),
                s.longValue("taskfarm.api.max-body-bytes"), s.duration("taskfarm.api.body-idle-timeout"),
                s.duration("taskfarm.api.upload-timeout"), maxUploads);
        spool.cleanUp();
        context.getRegistry().bind("bodySpool", spool);
        context.getRegistry().bind("jobApi", new JobApi(Closer.bean(context, "jobLedger", JobLedger.class),
                Closer.bean(context, "jobProgress", JobProgress.class), spool,
                Closer.bean(context, "cancelledJobs", CancelledJobs.class), s.integer("taskfarm.api.max-listed"),
                Closer.bean(context, "chunkPlanner", ChunkPlanner.class), workersOf(context))
                .dispatcher(Closer.bean(context, "jobDispatcher", dev.taskfarm.dispatch.Dispatcher.class)));
        context.getRegistry().bind("apiErrors", new ApiErrors());
        context.getRegistry().bind("webPage", new WebPage());
        // an upload holds a worker thread while its body arrives: the uploads get their own share of
        // the pool on top of Vert.x's default 20, so slow uploads never take the threads of other requests
        context.getRegistry().bind("vertxOptions",
                new VertxOptions().setMaxWorkerExecuteTime(1).setMaxWorkerExecuteTimeUnit(TimeUnit.HOURS)
                        .setWorkerPoolSize(VertxOptions.DEFAULT_WORKER_POOL_SIZE + maxUploads));
        context.addStartupListener(new HttpErrors());
    }

    /** Consumers on a compute's requests queue (read at most once a second), -1 when the broker cannot say. */
    private static java.util.function.ToLongFunction<String> workersOf(CamelContext context) {
        dev.taskfarm.broker.ComputeQueues queues = context.getRegistry().lookupByNameAndType("computeQueues",
                dev.taskfarm.broker.ComputeQueues.class);
        return compute -> queues == null ? -1 : queues.requests(compute, 1000).consumers();
    }
}
