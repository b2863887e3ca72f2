package dev.taskfarm.api;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Admission control: jobs are checked against their compute and the limits before anything is
 * published, and slow or too many uploads cannot take the threads other API requests need.
 */
class AdmissionIT {

    static TestFarm farm;
    static Http http;
    /** embedded broker, small limits: 5 tasks per job, a body must arrive within 3 s */
    static TestFarm small;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as(TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.api.max-concurrent-uploads", "30")
                .with("taskfarm.api.body-idle-timeout", "PT5M").start();
        http = new Http(farm.baseUri());
        small = TestFarm.onEmbeddedBroker().with("taskfarm.job.max-tasks", "5")
                .with("taskfarm.api.upload-timeout", "PT3S").with("taskfarm.api.body-idle-timeout", "PT5M").start();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
        small.close();
    }

    @Test
    void aMillionEmptyTasksAreRefusedAtIntakeWithTheFirstBadIndex() throws Exception {
        String body = "[" + "{},".repeat(999_999) + "{}]";
        HttpResponse<String> r = http.postJson("/jobs?id=million-empty", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(Http.parse(r.body()).path("error").asText())
                .contains("task 0 is not a valid sha256 task: sha256 needs a text field 'seed'");
        assertThat(http.get("/jobs/million-empty").statusCode()).as("nothing registered").isEqualTo(404);
        assertThat(http.get("/jobs").statusCode()).as("the process lives on").isEqualTo(200);
    }

    @Test
    void theFirstBadTaskIsNamedAndNothingIsPublished() throws Exception {
        HttpResponse<String> r = http.postJson("/jobs?id=bad-rounds",
                "[{\"seed\":\"a\"},{\"seed\":\"b\",\"rounds\":2},{\"seed\":\"c\",\"rounds\":99999999999999999999}]");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(Http.parse(r.body()).path("error").asText()).contains("task 2 is not a valid sha256 task")
                .contains("'rounds' must be a whole number from 1 to 2147483647, got 99999999999999999999");
        assertThat(http.get("/jobs/bad-rounds").statusCode()).isEqualTo(404);
        try (var c = farm.amqpConnection(); var ch = c.createChannel()) {
            assertThat(ch.messageCount(farm.requestsQueue())).isZero();
        }
    }

    @Test
    void inboxFilesThatFailAdmissionGoToTheErrorFolderWithTheReason() throws Exception {
        small.submit("too-many.json", "[{\"seed\":\"a\"},{\"seed\":\"b\"},{\"seed\":\"c\"},{\"seed\":\"d\"},{\"seed\":\"e\"},{\"seed\":\"f\"}]");
        small.submit("huge-rounds.json", "[{\"seed\":\"a\"},{\"seed\":\"b\",\"rounds\":99999999999999999999}]");
        small.submit("primes-text.json", "{\"compute\":\"primes\",\"tasks\":[{\"to\":100},{\"to\":\"100\"}]}");
        Path errors = small.inbox().resolve(".error");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(errors.resolve("too-many.json.error.txt"))
                && Files.exists(errors.resolve("huge-rounds.json.error.txt")) && Files.exists(errors.resolve("primes-text.json.error.txt")));
        assertThat(Files.readString(errors.resolve("too-many.json.error.txt")))
                .contains("the job has 6 tasks, more than the limit of 5 per job (taskfarm.job.max-tasks)");
        assertThat(Files.readString(errors.resolve("huge-rounds.json.error.txt")))
                .contains("task 1 is not a valid sha256 task").contains("'rounds' must be a whole number");
        assertThat(Files.readString(errors.resolve("primes-text.json.error.txt")))
                .contains("task 1 is not a valid primes task").contains("'to'");
        assertThat(errors.resolve("too-many.json")).exists();
        assertThat(small.outbox().resolve("too-many.result.json")).doesNotExist();
    }

    @Test
    void slowUploadsCannotStarveTheApiAndTheOneAboveTheLimitIsRefused() throws Exception {
        BodySpool spool = farm.context().getRegistry().lookupByNameAndType("bodySpool", BodySpool.class);
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < 30; i++) {
                slow.add(slowUpload(farm.httpPort(), "slow-" + i));
            }
            // one byte a second on each
            trickle.scheduleAtFixedRate(() -> slow.forEach(s -> {
                try {
                    s.getOutputStream().write(' ');
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    // a closed socket is checked below
                }
            }), 1, 1, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).until(() -> spool.uploadsInProgress() == 30);

            HttpResponse<String> list = http.get("/jobs");
            assertThat(list.statusCode()).isEqualTo(200);
            HttpResponse<String> status = http.get("/jobs/no-such-job");
            assertThat(status.statusCode()).isEqualTo(404);
            HttpResponse<String> above = http.postJson("/jobs?id=above-the-limit", "[{\"seed\":\"a\"}]");
            assertThat(above.statusCode()).as(above.body()).isEqualTo(429);
            assertThat(Http.parse(above.body()).path("error").asText())
                    .contains("too many uploads in progress: at most 30").contains("taskfarm.api.max-concurrent-uploads");
            assertThat(spool.uploadsInProgress()).as("the slow uploads are still being received").isEqualTo(30);
            for (Socket s : slow) {
                assertThat(s.getInputStream().available()).as("no answer yet to a slow upload").isZero();
            }
        } finally {
            trickle.shutdownNow();
            for (Socket s : slow) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> spool.uploadsInProgress() == 0);
        assertThat(http.get("/jobs/above-the-limit").statusCode()).isEqualTo(404);
    }

    @Test
    void anUploadSlowerThanTheUploadTimeoutGets408() throws Exception {
        try (Socket s = slowUpload(small.httpPort(), "too-slow")) {
            s.setSoTimeout(120_000);
            ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
            trickle.scheduleAtFixedRate(() -> {
                try {
                    s.getOutputStream().write(' ');
                } catch (Exception e) {
                    // the server answered and closed
                }
            }, 1, 1, TimeUnit.SECONDS);
            try {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).startsWith("HTTP/1.1 408");
                StringBuilder rest = new StringBuilder();
                for (String line = in.readLine(); line != null && !rest.toString().contains("}"); line = in.readLine()) {
                    rest.append(line).append('\n');
                }
                assertThat(rest).contains("did not arrive within 3 s (taskfarm.api.upload-timeout)");
            } finally {
                trickle.shutdownNow();
            }
        }
    }

    /** A POST /jobs whose body (announced as 100,000 bytes) has only begun. */
    private static Socket slowUpload(int port, String id) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /jobs?id=" + id + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }
}
