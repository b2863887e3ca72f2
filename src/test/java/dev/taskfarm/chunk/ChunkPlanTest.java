package dev.taskfarm.chunk;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import dev.taskfarm.wire.RequestBatch;
import dev.taskfarm.wire.RequestBatches;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An auto plan sizing a job's request messages through {@link RequestBatches#sized}: probe first
 * while the cost is unknown, then chunks from the measured cost; every task in exactly one message,
 * in order.
 */
class ChunkPlanTest {

    static final ObjectMapper MAPPER = new ObjectMapper();
    final ChunkSizer sizer = new ChunkSizer(5_000, 4, 10_000);

    static List<String> tasks(int n) {
        return IntStream.range(0, n).mapToObj(i -> "{\"i\":" + i + "}").toList();
    }

    /** The task indexes each message of the batch carries, checked against the batch's own bookkeeping. */
    static List<Integer> indexes(RequestBatch b) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int m = 0; m < b.bodies().size(); m++) {
            JsonNode body = MAPPER.readTree(b.bodies().get(m));
            if (b.chunkSize() == 1) {
                assertThat(body.isObject()).as("a message of one task is a plain request").isTrue();
                out.add(body.get("i").asInt());
            } else {
                assertThat(body.isArray()).isTrue();
                assertThat(body.size()).isEqualTo(b.tasksIn(m));
                for (JsonNode t : body) {
                    out.add(t.get("i").asInt());
                }
            }
            assertThat(out.get(out.size() - b.tasksIn(m))).isEqualTo(b.indexOf(m));
        }
        return out;
    }

    @Test
    void aKnownTinyCostChunksTheJobAndEveryTaskIsPublishedOnceInOrder() throws Exception {
        ComputeCosts costs = new ComputeCosts();
        costs.expect("earlier", "sha256");
        costs.observe("earlier", "ok", 200L, 100); // 2 us per task
        ChunkPlan plan = ChunkPlan.auto("j", "sha256", 20_000, sizer, costs, 8, 0);

        List<Integer> published = new ArrayList<>();
        int messages = 0;
        RequestBatches batches = RequestBatches.sized(tasks(20_000).iterator(), "j", "sha256", 20_000, plan, 100);
        while (batches.hasNext()) {
            RequestBatch b = batches.next();
            assertThat(b.firstIndex()).isEqualTo(published.size());
            published.addAll(indexes(b));
            messages += b.bodies().size();
        }

        assertThat(published).containsExactlyElementsOf(IntStream.range(0, 20_000).boxed().toList());
        JsonNode status = plan.toJson();
        assertThat(status.get("mode").asText()).isEqualTo("auto");
        assertThat(status.get("first").asInt()).isEqualTo(625);
        assertThat(status.get("largest").asInt()).isEqualTo(625);
        assertThat(status.get("last").asInt()).isEqualTo(1);
        assertThat(status.get("messages").asInt()).isEqualTo(messages).isBetween(32, 400);
        assertThat(status.get("costMicrosPerTask").asDouble()).isEqualTo(2.0);
        assertThat(plan.describe()).contains(messages + " messages", "1..625 tasks", "8 worker slots");
    }

    @Test
    void anUnknownCostIsProbedFirstAndTheRestSizedFromWhatTheProbeMeasured() throws Exception {
        ComputeCosts costs = new ComputeCosts();
        costs.expect("j", "fresh");
        ChunkPlan plan = ChunkPlan.auto("j", "fresh", 1000, sizer, costs, 2, 60_000);
        RequestBatches batches = RequestBatches.sized(tasks(1000).iterator(), "j", "fresh", 1000, plan, 100);

        RequestBatch probe = batches.next();
        // the probe ends its batch: it is published before the plan waits for its replies
        assertThat(probe.chunkSize()).isEqualTo(1);
        assertThat(probe.bodies()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            costs.observe("j", "ok", i == 0 ? 40_000L : 10L, null); // a cold first task, then 10 us
        }
        RequestBatch next = batches.next();

        assertThat(next.firstIndex()).isEqualTo(4);
        // 996 tasks left on 2 slots: at most 996 / 8 per message; 5 ms of 10 us tasks would be 500
        assertThat(next.chunkSize()).isEqualTo(124);
        assertThat(plan.toJson().get("costMicrosPerTask").asDouble()).isEqualTo(10.0);
    }

    @Test
    void workersThatDoNotReportTheirComputeTimeGetOneTaskPerMessage() throws Exception {
        ComputeCosts costs = new ComputeCosts();
        costs.expect("j", "foreign");
        ChunkPlan plan = ChunkPlan.auto("j", "foreign", 500, sizer, costs, 1, 60_000);
        RequestBatches batches = RequestBatches.sized(tasks(500).iterator(), "j", "foreign", 500, plan, 100);
        batches.next();
        costs.observe("j", "ok", null, null); // an ok reply without TaskfarmComputeMicros
        costs.observe("j", "ok", 10L, null); // even if another worker reports later

        int tasks = 2;
        while (batches.hasNext()) {
            RequestBatch b = batches.next();
            assertThat(b.chunkSize()).isEqualTo(1);
            tasks += b.bodies().size();
        }
        assertThat(tasks).isEqualTo(500);
        assertThat(plan.toJson().get("costMicrosPerTask").isNull()).isTrue();
        assertThat(plan.toJson().get("largest").asInt()).isEqualTo(1);
    }

    @Test
    void errorRepliesWithoutAComputeTimeDoNotTurnChunkingOff() {
        ComputeCosts costs = new ComputeCosts();
        costs.expect("j", "sha256");
        costs.observe("j", "ok", 30L, 3);
        costs.observe("j", "error", null, null); // a task that threw
        costs.observe("j", "error", "garbage", "garbage");

        assertThat(costs.estimate("sha256")).isEqualTo(10.0);
        // an ok reply whose compute time is not a number never fails; it counts as not reported
        costs.observe("j", "ok", "not a number", null);
        assertThat(costs.estimate("sha256")).isNaN();
    }

    @Test
    void oneSlowReplyDoesNotSwingTheEstimate() {
        ComputeCosts costs = new ComputeCosts();
        costs.expect("j", "c");
        for (long micros : new long[] {50_000, 20, 22, 19, 21, 900, 20}) {
            costs.observe("j", "ok", micros, null);
        }
        assertThat(costs.estimate("c")).isBetween(19.0, 22.0);
        assertThat(costs.estimate("never-seen")).isNaN();
    }

    @Test
    void aFixedPlanShowsItsSize() {
        ChunkPlan plan = ChunkPlan.fixed("j", 103, 7);
        assertThat(plan.isAuto()).isFalse();
        assertThat(plan.toJson().toString()).isEqualTo("{\"mode\":\"fixed\",\"size\":7,\"messages\":15}");
    }
}
