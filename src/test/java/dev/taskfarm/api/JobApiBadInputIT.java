package dev.taskfarm.api;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Malformed and hostile requests to every endpoint: each gets the right 4xx with a JSON error,
 * and the farm's state (jobs in the ledger, queued messages, spooled uploads, result files) is the
 * same afterwards as before.
 */
class JobApiBadInputIT {

    static final int LIMIT = 64 * 1024;
    static TestFarm farm;
    static Http http;
    State before;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.api.max-body-bytes", String.valueOf(LIMIT))
                .with("taskfarm.api.body-idle-timeout", "PT5S").start();
        http = new Http(farm.baseUri());
        assertThat(http.postJson("/jobs?id=existing", "[{\"seed\":\"a\"}]").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(http.json("/jobs/existing").path("status").asText()));
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    /** A request and what the API must answer. */
    record Case(String name, String method, String path, String contentType, byte[] body, boolean chunked,
            String accept, int status, String errorContains) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case post(String name, String path, String type, String body, int status, String error) {
        return new Case(name, "POST", path, type, body == null ? null : body.getBytes(StandardCharsets.UTF_8), false, null,
                status, error);
    }

    static Case get(String name, String path, int status, String error) {
        return new Case(name, "GET", path, null, null, false, null, status, error);
    }

    static Stream<Case> badRequests() {
        String json = "application/json";
        String deep = "[{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}]";
        String huge = "[" + "{\"seed\":\"x\"},".repeat(LIMIT / 10) + "{\"seed\":\"y\"}]";
        return Stream.of(
                // POST /jobs: bodies
                post("bad JSON", "/jobs", json, "[{\"seed\":", 400, "not valid JSON"),
                post("tasks that are not objects", "/jobs", json, "[1, 2, 3]", 400, "task 0 must be a JSON object"),
                post("a bare string", "/jobs", json, "\"tasks\"", 400, "expected a JSON array of tasks"),
                post("empty body", "/jobs", json, "", 400, "empty"),
                post("no tasks", "/jobs", json, "[]", 400, "no tasks"),
                post("tasks not an array", "/jobs", json, "{\"tasks\": 5}", 400, "\"tasks\" must be an array"),
                post("unknown compute", "/jobs", json, "{\"compute\":\"rm -rf\",\"tasks\":[{}]}", 400, "unknown compute"),
                post("deep nesting", "/jobs", json, deep, 400, "nesting depth"),
                post("id in the body with a path", "/jobs", json, "{\"id\":\"../../evil\",\"tasks\":[{}]}", 400, "\"id\" must match"),
                post("misspelt tasks", "/jobs", json, "{\"taks\":[{\"seed\":\"a\"}]}", 400,
                        "unknown field taks; did you mean tasks?"),
                post("unknown query parameter", "/jobs?idd=x", json, "[{}]", 400, "unknown query parameter idd; did you mean id?"),
                post("trailing garbage", "/jobs", json, "[{}] rm", 400, "not valid JSON"),
                post("bad NDJSON line", "/jobs", "application/x-ndjson", "{\"seed\":\"a\"}\n{nope}\n", 400, "not valid JSON"),
                // POST /jobs: content types
                post("text/plain", "/jobs", "text/plain", "[{}]", 415, "Content-Type"),
                post("form", "/jobs", "application/x-www-form-urlencoded", "tasks=1", 415, "Content-Type"),
                post("multipart", "/jobs", "multipart/form-data; boundary=x", "--x--", 415, "Content-Type"),
                post("xml", "/jobs", "application/xml", "<tasks/>", 415, "Content-Type"),
                // POST /jobs: ids
                post("id with a path", "/jobs?id=..%2F..%2Fetc%2Fpasswd", json, "[{}]", 400, "invalid job id"),
                post("hidden id", "/jobs?id=.hidden", json, "[{}]", 400, "invalid job id"),
                post("id with a NUL", "/jobs?id=a%00b", json, "[{}]", 400, "invalid job id"),
                post("id with CR LF", "/jobs?id=a%0d%0aSet-Cookie:%20x", json, "[{}]", 400, "invalid job id"),
                post("id too long", "/jobs?id=" + "a".repeat(101), json, "[{}]", 400, "invalid job id"),
                post("id twice", "/jobs?id=a&id=b", json, "[{}]", 400, "given 2 times"),
                post("id taken", "/jobs?id=existing", json, "[{\"seed\":\"a\"}]", 409, "already submitted"),
                post("a task its compute refuses", "/jobs", json, "[{\"seed\":\"a\"}, {}]", 400, "task 1 is not a valid sha256 task"),
                // POST /jobs: size
                post("body over the limit", "/jobs", json, huge, 413, "larger than the limit"),
                new Case("chunked body over the limit", "POST", "/jobs", json, huge.getBytes(StandardCharsets.UTF_8), true,
                        null, 413, "larger than the limit"),
                // GET /jobs and /jobs/{id}
                get("unknown job", "/jobs/no-such-job", 404, "no job"),
                get("path in the id", "/jobs/..%2F..%2Fetc%2Fpasswd", 400, "invalid job id"),
                get("dots in the path", "/jobs/../../etc/passwd", 404, "no such resource"),
                get("NUL in the id", "/jobs/a%00b", 400, "invalid job id"),
                get("id too long", "/jobs/" + "b".repeat(101), 400, "invalid job id"),
                get("limit zero", "/jobs?limit=0", 400, "limit must be"),
                get("limit not a number", "/jobs?limit=ten", 400, "limit must be"),
                get("limit huge", "/jobs?limit=99999999999", 400, "limit must be"),
                get("bogus status", "/jobs?status=bogus", 400, "status must be one of running, completed, partial, failed, timed_out, cancelled"),
                get("misspelt parameter", "/jobs?limt=5", 400, "unknown query parameter limt; did you mean limit?"),
                get("parameter of a job", "/jobs/existing?format=ndjson", 400, "unknown query parameter format"),
                new Case("html only", "GET", "/jobs/existing", null, null, false, "text/html", 406, "Accept"),
                // GET /jobs/{id}/results
                get("results of an unknown job", "/jobs/no-such-job/results", 404, "no job"),
                get("results in xml", "/jobs/existing/results?format=xml", 400, "format must be"),
                get("results with a bad filter", "/jobs/existing/results?status=all", 400, "status must be"),
                get("results with a misspelt parameter", "/jobs/existing/results?fromat=ndjson", 400,
                        "unknown query parameter fromat; did you mean format?"),
                get("results with a path", "/jobs/..%2Fdata/results", 400, "invalid job id"),
                // DELETE /jobs/{id}
                new Case("cancel an unknown job", "DELETE", "/jobs/no-such-job", null, null, false, null, 404, "no job"),
                new Case("cancel an ended job", "DELETE", "/jobs/existing", null, null, false, null, 409, "already ended"),
                new Case("cancel with a path", "DELETE", "/jobs/..%2F..%2Fx", null, null, false, null, 400, "invalid job id"),
                // other paths and methods
                new Case("PUT a job", "PUT", "/jobs/existing", json, "{}".getBytes(StandardCharsets.UTF_8), false, null, 405,
                        "not allowed"),
                new Case("DELETE all jobs", "DELETE", "/jobs", null, null, false, null, 405, "not allowed"),
                get("unknown path", "/admin", 404, "no such resource"),
                get("page outside ui", "/ui/../application.properties", 404, "no such resource"),
                get("page not in the list", "/ui/application.properties", 404, "no page"),
                get("encoded dots under ui", "/ui/%2e%2e/%2e%2e/pom.xml", 404, "no "));
    }

    @BeforeEach
    void snapshot() throws Exception {
        before = State.of();
    }

    @AfterEach
    void nothingChanged() throws Exception {
        if (before != null) {
            assertThat(State.of()).as("farm state after a refused request").isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void isRefusedWithAJsonError(Case c) throws Exception {
        HttpRequest.Builder b = http.request(c.path());
        if (c.contentType() != null) {
            b.header("Content-Type", c.contentType());
        }
        if (c.accept() != null) {
            b.header("Accept", c.accept());
        }
        HttpRequest.BodyPublisher body = c.body() == null ? HttpRequest.BodyPublishers.noBody()
                : c.chunked() ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(c.body()))
                : HttpRequest.BodyPublishers.ofByteArray(c.body());
        HttpResponse<String> r = http.send(b.method(c.method(), body).build());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(c.status());
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode error = Http.parse(r.body());
        assertThat(error.path("status").asInt()).isEqualTo(c.status());
        assertThat(error.path("error").asText()).contains(c.errorContains());
        // nothing a client sent is echoed back as a response header
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("taskfarm") || h.equalsIgnoreCase("id"));
    }

    @Test
    void aBodyAnnouncedTooLargeIsRefusedBeforeItIsSent() throws Exception {
        // a raw socket, as the JDK client cannot take a final answer to Expect: 100-continue (JDK-8286171)
        try (Socket socket = new Socket("127.0.0.1", farm.httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (LIMIT * 100) + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // not a byte of the body is sent: the answer comes anyway, and it is not "100 Continue"
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("HTTP/1.1 413");
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                // headers
            }
            StringBuilder body = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '}') {
                body.append((char) c);
            }
            assertThat(body).contains("larger than the limit");
        }
    }

    @Test
    void taskfarmHeadersFromTheClientAreIgnored() throws Exception {
        before = null; // this request is accepted: it adds a job (with a generated id, not the client's)
        HttpResponse<String> r = http.send(http.request("/jobs").header("Content-Type", "application/json")
                .header("TaskfarmJobId", "../../evil").header("TaskfarmClose", "cancel")
                .POST(HttpRequest.BodyPublishers.ofString("[{\"seed\":\"x\"}]")).build());
        assertThat(r.statusCode()).isEqualTo(202);
        String id = Http.parse(r.body()).path("id").asText();
        assertThat(id).startsWith("job-");
        await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(http.json("/jobs/" + id).path("status").asText()));
        assertThat(farm.outbox().resolve("../../evil.result.json").normalize()).doesNotExist();
        assertThat(farm.outbox().resolve(id + ".result.json")).exists();
    }

    /** What a refused request must not change. */
    record State(List<String> jobs, long queued, Set<String> spooled, Set<String> outbox) {
        static State of() throws Exception {
            List<String> jobs = http.json("/jobs?limit=1000").path("jobs").findValuesAsText("id");
            long queued;
            try (Connection c = farm.amqpConnection(); Channel ch = c.createChannel()) {
                queued = ch.queueDeclarePassive(farm.requestsQueue()).getMessageCount();
            }
            return new State(jobs, queued, files(farm.dir().resolve("data/spool")), files(farm.outbox()));
        }

        static Set<String> files(Path dir) throws Exception {
            Set<String> names = new TreeSet<>();
            if (Files.isDirectory(dir)) {
                try (var s = Files.list(dir)) {
                    s.forEach(p -> names.add(p.getFileName().toString()));
                }
            }
            return names;
        }
    }

}
