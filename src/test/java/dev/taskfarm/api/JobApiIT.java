package dev.taskfarm.api;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import dev.taskfarm.support.FlakyCompute;
import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.OpenApiContract;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The job API end to end on the real RabbitMQ: submit, follow, results, cancel, OpenAPI, health, metrics. */
class JobApiIT {

    static TestFarm farm;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker()
                .with("taskfarm.worker.slots", "2")
                .with("taskfarm.metrics.queue-depth-interval-ms", "200")
                // windows that hold these small jobs whole: the cancel tests need their tasks queued
                .with("taskfarm.dispatch.messages-per-slot", "50")
                .start();
        http = new Http(farm.baseUri());
        // waits end on events; this only keeps a broken farm from hanging the build on a busy machine
        org.awaitility.Awaitility.setDefaultTimeout(Duration.ofMinutes(2));
    }

    @AfterAll
    static void stop() throws Exception {
        org.awaitility.Awaitility.reset();
        farm.close();
    }

    static JsonNode awaitEnd(String id) {
        return await().pollInterval(Duration.ofMillis(100))
                .until(() -> http.json("/jobs/" + id), j -> !"running".equals(j.path("status").asText()));
    }

    /** Until each of a group's tasks was either computed or skipped by a worker (tests run one at a time). */
    static void awaitHandled(String group, int tasks, double skippedBefore) {
        await().until(() -> FlakyCompute.runs(group) + metric("taskfarm_tasks_skipped_total") - skippedBefore >= tasks);
    }

    @Test
    void jsonObjectIsAcceptedWith202AndLocationAndItsResultsAreServed() throws Exception {
        HttpResponse<String> r = http.postJson("/jobs?id=api-object", Jobs.shaJob("sha256", 50, 2).toString());

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("Location")).hasValue("/jobs/api-object");
        JsonNode accepted = Http.parse(r.body());
        assertThat(accepted.path("id").asText()).isEqualTo("api-object");
        assertThat(accepted.path("total").asInt()).isEqualTo(50);
        // 202 means accepted and kept: its tasks are dispatched from then on, window by window
        assertThat(accepted.path("published").asInt()).isBetween(0, 50);
        assertThat(accepted.path("priority").asInt()).isEqualTo(1);

        JsonNode job = awaitEnd("api-object");
        assertThat(job.path("status").asText()).isEqualTo("completed");
        assertThat(job.path("done").asInt()).isEqualTo(50);
        assertThat(job.path("succeeded").asInt()).isEqualTo(50);
        assertThat(job.path("percent").asDouble()).isEqualTo(100.0);
        assertThat(job.path("rate").asDouble()).isPositive();
        assertThat(job.path("etaSeconds").asLong()).isZero();
        assertThat(job.path("finishedAt").asText()).isNotEmpty();

        HttpResponse<String> results = http.get("/jobs/api-object/results");
        assertThat(results.statusCode()).isEqualTo(200);
        assertThat(results.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode doc = Http.parse(results.body());
        assertThat(doc.path("status").asText()).isEqualTo("completed");
        assertThat(doc.path("results")).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(doc.at("/results/" + i + "/index").asInt()).isEqualTo(i);
            assertThat(doc.at("/results/" + i + "/result").asText()).isEqualTo(Jobs.expectedSha(i, 2));
        }
        // the same document as the result file in the outbox
        assertThat(Http.parse(Files.readString(farm.outbox().resolve("api-object.result.json")))).isEqualTo(doc);
    }

    @Test
    void arrayGetsAGeneratedIdAndNdjsonResultsAreOneLinePerTask() throws Exception {
        HttpResponse<String> r = http.post("/jobs", "application/json; charset=utf-8", "[{\"seed\":\"task-0\"},{\"seed\":\"task-1\"}]");
        assertThat(r.statusCode()).isEqualTo(202);
        String id = Http.parse(r.body()).path("id").asText();
        assertThat(id).startsWith("job-");
        assertThat(r.headers().firstValue("Location")).hasValue("/jobs/" + id);
        awaitEnd(id);

        HttpResponse<String> nd = http.get("/jobs/" + id + "/results?format=ndjson");
        assertThat(nd.statusCode()).isEqualTo(200);
        assertThat(nd.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        List<String> lines = nd.body().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(Http.parse(lines.get(1)).path("result").asText()).isEqualTo(Jobs.expectedSha(1, 1));
        // Accept asks for NDJSON as well
        HttpResponse<String> byAccept = http.send(http.request("/jobs/" + id + "/results")
                .header("Accept", "application/x-ndjson").GET().build());
        assertThat(byAccept.body()).isEqualTo(nd.body());
    }

    @Test
    void largeNdjsonBodyIsStreamedInChunks() throws Exception {
        StringBuilder nd = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            nd.append("{\"seed\":\"task-").append(i).append("\",\"rounds\":1}\n");
        }
        byte[] body = nd.toString().getBytes(StandardCharsets.UTF_8);
        // ofInputStream has no length: the body goes chunked, as a streaming client sends it
        HttpResponse<String> r = http.send(http.request("/jobs?id=api-ndjson").header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(Http.parse(r.body()).path("total").asInt()).isEqualTo(3000);
        JsonNode job = awaitEnd("api-ndjson");
        assertThat(job.path("status").asText()).isEqualTo("completed");
        assertThat(http.get("/jobs/api-ndjson/results?format=ndjson").body().lines().count()).isEqualTo(3000);
        assertThat(farm.dir().resolve("data/spool")).isEmptyDirectory();
    }

    @Test
    void failuresAreListedWithTheirErrorsAndTheJobIsPartial() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 10, 1);
        ((ObjectNode) job.get("tasks").get(2)).put("fail", true);
        ((ObjectNode) job.get("tasks").get(7)).put("fail", true);
        assertThat(http.postJson("/jobs?id=api-partial", job.toString()).statusCode()).isEqualTo(202);

        JsonNode end = awaitEnd("api-partial");
        assertThat(end.path("status").asText()).isEqualTo("partial");
        assertThat(end.path("failed").asInt()).isEqualTo(2);

        List<String> failures = http.get("/jobs/api-partial/results?status=error&format=ndjson").body().lines().toList();
        assertThat(failures).hasSize(2);
        assertThat(Http.parse(failures.get(0)).path("index").asInt()).isEqualTo(2);
        assertThat(Http.parse(failures.get(0)).path("error").asText()).contains("task-2 was told to fail");
        assertThat(Http.parse(failures.get(1)).path("index").asInt()).isEqualTo(7);
    }

    @Test
    void recentJobsAreListedNewestFirst() throws Exception {
        assertThat(http.postJson("/jobs?id=api-list-1", "[{\"seed\":\"a\"}]").statusCode()).isEqualTo(202);
        assertThat(http.postJson("/jobs?id=api-list-2", "[{\"seed\":\"b\"}]").statusCode()).isEqualTo(202);

        JsonNode list = http.json("/jobs?limit=1000");
        List<String> ids = list.path("jobs").findValuesAsText("id");
        assertThat(ids).contains("api-list-1", "api-list-2");
        assertThat(ids.indexOf("api-list-2")).isLessThan(ids.indexOf("api-list-1"));
        assertThat(http.json("/jobs?limit=1").path("jobs")).hasSize(1);
    }

    @Test
    void cancelEndsTheJobCancelledAndWorkersSkipItsPendingTasks() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 40, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 600).put("group", "cancel-me"));
        assertThat(http.postJson("/jobs?id=api-cancel", job.toString()).statusCode()).isEqualTo(202);
        await().until(() -> http.json("/jobs/api-cancel").path("done").asInt() >= 2);
        double skippedBefore = metric("taskfarm_tasks_skipped_total");

        HttpResponse<String> r = http.delete("/jobs/api-cancel");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode cancelled = Http.parse(r.body());
        assertThat(cancelled.path("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.path("missing").asInt()).isPositive();
        // every task is computed or skipped: skipped, most are never computed
        awaitHandled("cancel-me", 40, skippedBefore);
        // fewer than half of them computed: at 600 ms a task on 4 slots the cancel has 3 s to reach
        // the worker, which holds no more than slots + lookahead of them (the rest stay on the broker)
        assertThat(FlakyCompute.runs("cancel-me")).as("tasks computed").isLessThan(20);
        JsonNode result = farm.awaitResult("api-cancel", Duration.ofMinutes(2));
        assertThat(result.path("status").asText()).isEqualTo("cancelled");
        assertThat(result.path("results")).hasSize(40);
        assertThat(result.path("missing").asInt()).isEqualTo(40 - result.path("succeeded").asInt());
        // results that arrive late are not counted into the cancelled job
        int done = cancelled.path("done").asInt();
        await().until(() -> queueDepth(farm.repliesQueue()) == 0);
        assertThat(http.json("/jobs/api-cancel").path("done").asInt()).isEqualTo(done);
        assertThat(metric("taskfarm_tasks_skipped_total")).isGreaterThanOrEqualTo(20);
        // a job ends once
        assertThat(http.delete("/jobs/api-cancel").statusCode()).isEqualTo(409);
    }

    @Test
    void workersStillHearCancelsAfterTheirBrokerConnectionWasLost() throws Exception {
        // closing the connection deletes every worker's exclusive control queue, as a broker restart does;
        // the admin must declare it again on the new connection or the cancel is never heard
        farm.context().getRegistry().lookupByNameAndType("connectionFactory", CachingConnectionFactory.class).resetConnection();
        // the farm works again (its consumers have reconnected) once a small job completes
        assertThat(http.postJson("/jobs?id=api-after-reset", "[{\"seed\":\"x\"}]").statusCode()).isEqualTo(202);
        assertThat(awaitEnd("api-after-reset").path("status").asText()).isEqualTo("completed");
        ObjectNode job = Jobs.shaJob("flaky", 40, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 600).put("group", "cancel-after-reset"));
        assertThat(http.postJson("/jobs?id=api-cancel-reset", job.toString()).statusCode()).isEqualTo(202);
        // cancel as soon as every task is on the queue: after a reconnect the consumers come back
        // a few seconds later and results then arrive in bursts, so waiting for some to be done races
        await().until(() -> http.json("/jobs/api-cancel-reset").path("published").asInt() == 40);
        double skippedBefore = metric("taskfarm_tasks_skipped_total");

        assertThat(http.delete("/jobs/api-cancel-reset").statusCode()).isEqualTo(200);

        awaitHandled("cancel-after-reset", 40, skippedBefore);
        assertThat(FlakyCompute.runs("cancel-after-reset")).as("tasks computed").isLessThan(20);
    }

    @Test
    void openApiDocumentDescribesEveryEndpoint() throws Exception {
        HttpResponse<String> r = http.get("/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode api = Http.parse(r.body());

        assertThat(api.path("openapi").asText()).startsWith("3.");
        assertThat(api.at("/info/title").asText()).isEqualTo("taskfarm job API");
        assertThat(api.at("/paths/~1jobs/post/operationId").asText()).isEqualTo("submit-job-api");
        assertThat(api.at("/paths/~1jobs/post/requestBody/content").has("application/x-ndjson")).isTrue();
        assertThat(api.at("/paths/~1jobs/post/responses").has("202")).isTrue();
        assertThat(api.at("/paths/~1jobs/post/responses").has("413")).isTrue();
        assertThat(api.at("/paths/~1jobs/get/operationId").asText()).isEqualTo("list-jobs-api");
        assertThat(api.at("/paths/~1jobs~1{id}/get/operationId").asText()).isEqualTo("get-job-api");
        assertThat(api.at("/paths/~1jobs~1{id}/delete/operationId").asText()).isEqualTo("cancel-job-api");
        assertThat(api.at("/paths/~1jobs~1{id}~1results/get/operationId").asText()).isEqualTo("get-job-results-api");
        assertThat(api.at("/paths/~1jobs~1{id}/get/responses").has("404")).isTrue();
    }

    @Test
    void openApiDocumentIsValidAndDescribesTheRealBodies() throws Exception {
        OpenApiContract contract = OpenApiContract.parse(http.get("/openapi.json").body());
        assertThat(contract.messages()).as("the parser's complaints").isEmpty();
        // every operation states a schema for each of its responses
        contract.api().getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) ->
                op.getResponses().forEach((code, response) -> assertThat(response.getContent())
                        .as(method + " " + path + " " + code).isNotNull().allSatisfy((type, media) ->
                                assertThat(media.getSchema()).as(method + " " + path + " " + code + " " + type).isNotNull()))));
        String json = "application/json";
        List<String> problems = new java.util.ArrayList<>();

        // the three submission formats
        String object = Jobs.shaJob("sha256", 3, 1).put("id", "api-contract-object").put("timeout", "PT5M").toString();
        String array = "[{\"seed\":\"a\"},{\"seed\":\"b\"}]";
        problems.addAll(contract.requestProblems("/jobs", "post", json, Http.parse(object)));
        problems.addAll(contract.requestProblems("/jobs", "post", json, Http.parse(array)));
        problems.addAll(contract.responseProblems("/jobs", "post", http.postJson("/jobs", object)));
        problems.addAll(contract.responseProblems("/jobs", "post", http.postJson("/jobs?id=api-contract-array", array)));
        problems.addAll(contract.responseProblems("/jobs", "post",
                http.post("/jobs?id=api-contract-ndjson", "application/x-ndjson", "{\"seed\":\"a\"}\n{\"seed\":\"b\"}\n")));
        awaitEnd("api-contract-object");
        awaitEnd("api-contract-ndjson");

        // a job, the list, results as JSON and as NDJSON lines
        problems.addAll(contract.responseProblems("/jobs/{id}", "get", http.get("/jobs/api-contract-object")));
        problems.addAll(contract.responseProblems("/jobs", "get", http.get("/jobs?limit=5")));
        problems.addAll(contract.responseProblems("/jobs/{id}/results", "get", http.get("/jobs/api-contract-object/results")));
        var resultSchema = contract.api().getComponents().getSchemas().get("Result");
        assertThat(resultSchema).isNotNull();
        for (String line : http.get("/jobs/api-contract-ndjson/results?format=ndjson").body().lines().toList()) {
            problems.addAll(contract.responseProblems("/jobs/{id}/results", "get", 200, json,
                    Http.parse("{\"jobId\":\"x\",\"status\":\"completed\",\"compute\":\"sha256\",\"total\":1,"
                            + "\"succeeded\":1,\"failed\":0,\"startedAt\":\"2026-01-01T00:00:00Z\",\"results\":[" + line + "]}")));
        }

        // a cancel, and errors
        ObjectNode slow = Jobs.shaJob("flaky", 10, 1);
        slow.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 300).put("group", "contract-cancel"));
        assertThat(http.postJson("/jobs?id=api-contract-cancel", slow.toString()).statusCode()).isEqualTo(202);
        double skippedBefore = metric("taskfarm_tasks_skipped_total");
        problems.addAll(contract.responseProblems("/jobs/{id}", "delete", http.delete("/jobs/api-contract-cancel")));
        problems.addAll(contract.responseProblems("/jobs/{id}", "delete", http.delete("/jobs/api-contract-cancel")));
        problems.addAll(contract.responseProblems("/jobs/{id}", "get", http.get("/jobs/no-such-job")));
        problems.addAll(contract.responseProblems("/jobs", "get", http.get("/jobs?status=bogus")));
        problems.addAll(contract.responseProblems("/jobs", "post", http.postJson("/jobs", "{\"taks\":[{}]}")));
        problems.addAll(contract.responseProblems("/jobs", "post", http.postJson("/jobs?id=api-contract-array", array)));
        problems.addAll(contract.responseProblems("/jobs", "post", http.post("/jobs", "text/plain", array)));

        assertThat(problems).isEmpty();
        awaitHandled("contract-cancel", 10, skippedBefore);
        // and the checker is not blind: an undeclared field and a wrong type are caught
        assertThat(contract.responseProblems("/jobs/{id}", "get", 200, json,
                Http.parse(http.get("/jobs/api-contract-object").body().replace("\"total\":3", "\"total\":\"3\",\"extra\":1"))))
                .anyMatch(p -> p.contains("total should be integer")).anyMatch(p -> p.contains("field extra"));
    }

    @Test
    void healthEndpointsServeKubernetesProbes() throws Exception {
        HttpResponse<String> ready = http.get("/observe/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode checks = Http.parse(ready.body()).path("checks");
        assertThat(Http.parse(ready.body()).path("status").asText()).isEqualTo("UP");
        assertThat(checks.findValuesAsText("name")).contains("taskfarm-broker", "route:submit-job", "route:worker",
                "consumer:collect-replies");
        HttpResponse<String> live = http.get("/observe/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        // the broker is a readiness concern only: restarting a pod does not bring a broker back
        assertThat(Http.parse(live.body()).path("checks").findValuesAsText("name")).doesNotContain("taskfarm-broker");
    }

    @Test
    void progressIsExposedAsPrometheusMetrics() throws Exception {
        assertThat(http.postJson("/jobs?id=api-metrics", Jobs.shaJob("sha256", 30, 1).toString()).statusCode()).isEqualTo(202);
        awaitEnd("api-metrics");

        await().untilAsserted(() -> {
            String metrics = http.get("/observe/metrics").body();
            assertThat(metrics).contains("taskfarm_job_tasks{job=\"api-metrics\",state=\"done\"} 30.0");
            assertThat(metrics).contains("taskfarm_job_tasks{job=\"api-metrics\",state=\"published\"} 30.0");
            assertThat(metrics).contains("taskfarm_job_progress_ratio{job=\"api-metrics\"} 1.0");
            assertThat(metrics).contains("taskfarm_job_rate_tasks_per_second{job=\"api-metrics\"}");
            assertThat(metrics).contains("taskfarm_queue_depth_messages{queue=\"" + farm.requestsQueue() + "\"}");
            assertThat(metrics).contains("taskfarm_task_duration_seconds_bucket{le=");
            assertThat(metrics).contains("taskfarm_jobs_running ");
            assertThat(metrics).contains("taskfarm_jobs_finished_total{status=\"completed\"}");
        });
        // JVM and process meters (Micrometer binders), and the queue consumers the farm view shows
        // the GC pause timer has a series once a collection has happened: ask for one (the farm is in this JVM)
        System.gc();
        await().until(() -> http.get("/observe/metrics").body().contains("jvm_gc_pause_seconds_sum"));
        String metrics = http.get("/observe/metrics").body();
        assertThat(metrics).contains("jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads ", "jvm_classes_loaded_classes ",
                "process_cpu_usage ", "process_uptime_seconds ", "process_files_open_files ",
                "taskfarm_queue_consumers{queue=\"" + farm.requestsQueue() + "\"} 1.0");
        // every series the Grafana dashboard charts is one the farm exports
        JsonNode dashboard = Http.parse(Files.readString(java.nio.file.Path.of("docs/grafana-dashboard.json")));
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("\\b(taskfarm_[a-z_]+|jvm_[a-z_]+|process_[a-z_]+)")
                .matcher(dashboard.findValuesAsText("expr").toString());
        int checked = 0;
        while (names.find()) {
            assertThat(metrics).as("dashboard series " + names.group(1)).contains(names.group(1));
            checked++;
        }
        assertThat(checked).isGreaterThan(10);
        assertThat(metric("taskfarm_tasks_published_total")).isGreaterThanOrEqualTo(30);
        assertThat(metric("taskfarm_tasks_completed_total")).isGreaterThanOrEqualTo(30);
    }

    static long queueDepth(String queue) throws Exception {
        try (Connection c = farm.amqpConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        }
    }

    static double metric(String name) throws Exception {
        return http.get("/observe/metrics").body().lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).orElse(-1.0);
    }
}
