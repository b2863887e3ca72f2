package dev.taskfarm.intake;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.taskfarm.chunk.ChunkPlan;
import dev.taskfarm.chunk.ChunkPlanner;
import dev.taskfarm.chunk.ChunkSizer;
import dev.taskfarm.chunk.ComputeCosts;
import dev.taskfarm.collect.JobProgress;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.BatchCursor;
import dev.taskfarm.wire.Wire;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job of one task per message is published in batches of {@code taskfarm.publish.batch-size}
 * messages (the dispatch waits for each batch's confirms, so the batch bounds its rate); an
 * auto-chunked job in batches of {@code taskfarm.publish.auto-batch-size}, each sized with the
 * compute cost measured so far.
 */
class JobIntakeBatchesTest {

    @TempDir
    Path dir;

    @Test
    void fixedChunksGoInBatchesOfTheBatchSizeAndAutoChunksInBatchesOfTheAutoBatchSize() throws Exception {
        Path file = dir.resolve("forty.json");
        Files.writeString(file, IntStream.range(0, 40).mapToObj(i -> "{\"i\":" + i + "}")
                .collect(Collectors.joining(",", "[", "]")));
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            JdbcDataSource ds = new JdbcDataSource();
            ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
            JobLedger ledger = new JobLedger(ds);
            ledger.createSchema();
            JobProgress progress = new JobProgress(60_000, new FarmMetrics(
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(1)));
            ComputeCosts costs = new ComputeCosts();
            costs.expect("earlier", "sha256");
            // a reply of an earlier job: 10 tasks in 50 ms, 5 ms a task, so one task per message
            Exchange reply = new DefaultExchange(context);
            reply.getMessage().setHeader(Wire.JOB_ID, "earlier");
            reply.getMessage().setHeader(Wire.STATUS, Wire.STATUS_OK);
            reply.getMessage().setHeader(Wire.COMPUTE_MICROS, 50_000L);
            reply.getMessage().setHeader(Wire.CHUNK_SIZE, 10);
            costs.observe(reply.getMessage());
            ChunkSizer sizer = new ChunkSizer(5_000, 4, 500);
            JobIntake intake = new JobIntake(ledger, new ComputeRegistry(context, ""), progress, "sha256",
                    Duration.ofMinutes(15), 1, 7, new ChunkPlanner(costs, sizer, compute -> 1, 0)).autoBatchSize(3);

            Exchange fixed = job(context, file.toFile());
            fixed.getMessage().setHeader(Wire.CHUNK_SIZE, 1);
            assertThat(batchSizes(intake.cursor(fixed))).containsExactly(7, 7, 7, 7, 7, 5);

            Exchange auto = job(context, file.toFile());
            auto.setProperty(JobIntake.PLAN, ChunkPlan.auto("forty", "sha256", 40, sizer, costs, 2, 0));
            List<Integer> sizes = batchSizes(intake.cursor(auto));
            assertThat(sizes).allSatisfy(n -> assertThat(n).isBetween(1, 3));
            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(40);
        }
    }

    private static Exchange job(DefaultCamelContext context, File file) {
        Exchange e = new DefaultExchange(context);
        e.getMessage().setBody(file);
        e.getMessage().setHeader(Wire.JOB_ID, "forty");
        e.getMessage().setHeader(Wire.COMPUTE, "sha256");
        e.getMessage().setHeader(Wire.TASK_COUNT, 40);
        return e;
    }

    /** Messages per batch, the cursor drained. */
    private static List<Integer> batchSizes(BatchCursor cursor) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        try (cursor) {
            cursor.forEachRemaining(b -> sizes.add(b.bodies().size()));
        }
        return sizes;
    }
}
