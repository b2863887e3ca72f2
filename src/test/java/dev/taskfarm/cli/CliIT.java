package dev.taskfarm.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;
import dev.taskfarm.support.Tmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The command line client against a running farm: in-process, and once as {@code java -jar}. */
class CliIT {

    static TestFarm farm;
    static String url;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        farm = TestFarm.onTestBroker().with("taskfarm.worker.slots", "2")
                .with("taskfarm.computes.external", "nobody").start();
        url = farm.baseUri().toString();
    }

    @AfterAll
    static void stop() throws Exception {
        farm.close();
    }

    /** Exit code and output of one CLI run. */
    record Run(int exit, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = TaskfarmCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--url=" + url);
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void submitWaitShowsProgressAndSummaryAndExitsZero() throws Exception {
        Path file = dir.resolve("tasks.json");
        Files.writeString(file, Jobs.shaJob("flaky", 30, 1).toString().replace("\"rounds\":1", "\"rounds\":1,\"sleepMs\":20"));

        Run run = cli("submit", file.toString(), "--id", "cli-ok", "--wait", "--interval", "100");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("Submitted job cli-ok: 30 tasks");
        List<String> bars = run.out().lines().filter(l -> l.startsWith("[")).toList();
        assertThat(bars).isNotEmpty();
        assertThat(bars.get(bars.size() - 1)).contains("30/30").contains("100.0%").contains("/s").contains("ETA 0:00");
        assertThat(run.out()).contains("Job cli-ok completed: 30/30 succeeded, 0 failed");
    }

    @Test
    void waitingOnAJobWhoseComputeNoWorkerServesSaysSoOnce() throws Exception {
        Path file = dir.resolve("orphan.json");
        Files.writeString(file, "{\"compute\":\"nobody\",\"timeout\":\"PT2S\",\"tasks\":[{\"a\":1},{\"a\":2}]}");

        Run run = cli("submit", file.toString(), "--id", "cli-orphan", "--wait", "--interval", "100");

        assertThat(run.out().lines().filter(l -> l.startsWith("Note: no worker serves compute \"nobody\"")))
                .as(run.out()).hasSize(1);
        assertThat(run.out()).contains("Job cli-orphan timed_out");
        assertThat(run.exit()).isNotZero();
    }

    @Test
    void aPartialJobExitsThreeAndShowsItsFailures() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 8, 1);
        ((ObjectNode) job.get("tasks").get(5)).put("fail", true);
        Path file = dir.resolve("partial.json");
        Files.writeString(file, job.toString());

        Run run = cli("submit", file.toString(), "--id", "cli-partial", "--wait", "--interval", "100");

        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).contains("Job cli-partial partial: 7/8 succeeded, 1 failed");
        assertThat(run.out()).contains("task 5: task task-5 was told to fail");
        assertThat(cli("status", "cli-partial").exit()).isEqualTo(3);
    }

    @Test
    void statusResultsAndCancel() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 40, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 300));
        Files.writeString(dir.resolve("slow.json"), job.toString());

        Run submitted = cli("submit", dir.resolve("slow.json").toString(), "--id", "cli-slow");
        assertThat(submitted.exit()).isZero();
        Run status = cli("status", "cli-slow");
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("Job cli-slow running").contains("/40");
        Run json = cli("status", "cli-slow", "--json");
        assertThat(Http.parse(json.out()).path("total").asInt()).isEqualTo(40);

        Run cancel = cli("cancel", "cli-slow");
        assertThat(cancel.exit()).isZero();
        assertThat(cancel.out()).contains("Job cli-slow cancelled");
        assertThat(cli("status", "cli-slow").exit()).isEqualTo(6);

        Run results = cli("results", "cli-slow", "--ndjson");
        assertThat(results.exit()).isZero();
        List<String> lines = results.out().lines().toList();
        assertThat(lines).hasSize(40);
        assertThat(lines).anyMatch(l -> l.contains("\"status\":\"missing\""));
        Path out = dir.resolve("results.json");
        assertThat(cli("results", "cli-slow", "-o", out.toString()).exit()).isZero();
        assertThat(Http.parse(Files.readString(out)).path("status").asText()).isEqualTo("cancelled");
        assertThat(cli("jobs").out()).contains("cli-slow").contains("cancelled");
    }

    @Test
    void errorsExitOneWithTheServersReason() throws Exception {
        Run unknown = cli("status", "no-such-job");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404").contains("no job \"no-such-job\"");

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[{\"seed\": ");
        Run refused = cli("submit", bad.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("HTTP 400").contains("not valid JSON");

        Run missing = cli("submit", dir.resolve("nope.json").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("cannot read");

        StringWriter err = new StringWriter();
        CommandLine cl = TaskfarmCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("status", "x", "--url=http://127.0.0.1:1")).isEqualTo(1);
        assertThat(err.toString()).contains("cannot connect to taskfarm at http://127.0.0.1:1");
        assertThat(cli("submit").exit()).as("usage error").isEqualTo(2);
    }

    @Test
    void theJarRunsTheCliWhenGivenACommand() throws Exception {
        Path jar = Path.of("target/taskfarm.jar");
        assertThat(jar).exists();
        Path file = dir.resolve("jar.json");
        Files.writeString(file, "[{\"seed\":\"task-0\"},{\"seed\":\"task-1\"}]");
        Process p = new ProcessBuilder("java", "-jar", jar.toString(), "submit", file.toString(), "--id", "cli-jar",
                "--wait", "--url", url).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("Job cli-jar completed: 2/2 succeeded");
        JsonNode job = await().atMost(Duration.ofSeconds(5))
                .until(() -> new Http(farm.baseUri()).json("/jobs/cli-jar"), j -> j.has("status"));
        assertThat(job.path("status").asText()).isEqualTo("completed");
    }

    /** For what a separate JVM does: a hang-guard on a shared, busy machine, not a speed limit. */
    static org.awaitility.core.ConditionFactory awaitProcess() {
        return await().atMost(Duration.ofMinutes(3));
    }

    /** Shell command line running the jar's CLI. */
    static String jar(String... args) {
        StringBuilder sb = new StringBuilder("java -jar " + Path.of("target/taskfarm.jar").toAbsolutePath());
        for (String a : args) {
            sb.append(" '").append(a.replace("'", "'\\''")).append("'");
        }
        return sb.toString();
    }

    static Run runJar(String... args) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", jar(args)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void helpAndHelpOfACommand() throws Exception {
        Run help = runJar("help");
        assertThat(help.exit()).as(help.err()).isZero();
        assertThat(help.out()).contains("Usage: taskfarm").contains("submit").contains("retry").contains("help");
        Run submit = runJar("help", "submit");
        assertThat(submit.exit()).as(submit.err()).isZero();
        assertThat(submit.out()).contains("Usage: taskfarm submit").contains("--wait").contains("--id");
        assertThat(runJar("submit", "--help").out()).contains("Usage: taskfarm submit");
    }

    @Test
    void globalOptionsComeBeforeTheCommand() throws Exception {
        Path file = dir.resolve("global.json");
        Files.writeString(file, "[{\"seed\":\"a\"},{\"seed\":\"b\"}]");
        Run submit = runJar("--url", url, "submit", file.toString(), "--id", "cli-global", "--wait");
        assertThat(submit.exit()).as(submit.out() + submit.err()).isZero();
        Run status = runJar("--url", url, "status", "cli-global");
        assertThat(status.exit()).as(status.out() + status.err()).isZero();
        assertThat(status.out()).contains("Job cli-global completed: 2/2 succeeded");
        assertThat(runJar("--url=" + url, "jobs").out()).contains("cli-global");
    }

    @Test
    void theBarFitsAnEightyColumnTerminalAndIsRedrawnInPlace() throws Exception {
        // as wide as a bar gets: four-digit counts, a rate over 100/s, failures
        ObjectNode job = Jobs.shaJob("flaky", 3000, 1);
        for (int i = 0; i < 20; i++) {
            ((ObjectNode) job.get("tasks").get(i * 100)).put("fail", true);
        }
        Path file = dir.resolve("terminal.json");
        Files.writeString(file, job.toString());
        String command = jar("submit", file.toString(), "--id", "cli-terminal", "--wait", "--interval", "50", "--url", url)
                + "; echo EXIT=$?";
        try (Tmux terminal = new Tmux(80, 24, command)) {
            awaitProcess().until(terminal::text, t -> t.contains("EXIT="));
            List<String> screen = terminal.screen();
            List<String> bars = screen.stream().filter(l -> l.startsWith("[")).toList();
            assertThat(bars).as(terminal.text()).hasSize(1);
            assertThat(bars.get(0)).contains("3000/3000").contains("20 failed").hasSizeLessThan(80);
            assertThat(terminal.text()).contains("Job cli-terminal partial: 2980/3000 succeeded, 20 failed").contains("EXIT=3");
        }
    }

    @Test
    void ctrlCWhileWaitingSaysTheJobKeepsRunning() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 40, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 300));
        Path file = dir.resolve("interrupted.json");
        Files.writeString(file, job.toString());
        String command = jar("submit", file.toString(), "--id", "cli-interrupted", "--wait", "--url", url) + "; echo EXIT=$?";
        try (Tmux terminal = new Tmux(100, 24, command)) {
            awaitProcess().until(terminal::text, t -> t.contains("Submitted job cli-interrupted") && t.contains("["));
            terminal.keys("C-c");
            awaitProcess().until(terminal::text, t -> t.contains("EXIT="));
            assertThat(terminal.text()).contains("EXIT=130")
                    .contains("Job cli-interrupted keeps running")
                    .contains(" status cli-interrupted --wait").contains(" cancel cli-interrupted");
        }
        assertThat(new Http(farm.baseUri()).json("/jobs/cli-interrupted").path("status").asText()).isEqualTo("running");
        assertThat(cli("cancel", "cli-interrupted").exit()).isZero();
    }

    @Test
    void retryRunsTheFailedAndMissingTasksAsANewJob() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 12, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 400));
        ((ObjectNode) job.get("tasks").get(0)).put("fail", true).put("sleepMs", 0);
        Path file = dir.resolve("retry.json");
        Files.writeString(file, job.toString());
        assertThat(cli("submit", file.toString(), "--id", "cli-retry-src").exit()).isZero();
        await().until(() -> new Http(farm.baseUri()).json("/jobs/cli-retry-src").path("failed").asInt() == 1);
        assertThat(cli("retry", "cli-retry-src", file.toString()).err()).contains("still running");
        assertThat(cli("cancel", "cli-retry-src").exit()).isZero();
        JsonNode source = new Http(farm.baseUri()).json("/jobs/cli-retry-src");
        int again = source.path("failed").asInt() + source.path("missing").asInt();
        assertThat(again).isGreaterThan(1);

        Run retry = cli("retry", "cli-retry-src", file.toString(), "--wait", "--interval", "100");

        assertThat(retry.out()).contains("Retrying " + again + " of 12 tasks of cli-retry-src (1 failed, "
                + source.path("missing").asInt() + " missing) as job cli-retry-src-retry-1");
        assertThat(retry.exit()).as(retry.out() + retry.err()).isEqualTo(3);
        JsonNode rerun = new Http(farm.baseUri()).json("/jobs/cli-retry-src-retry-1");
        assertThat(rerun.path("total").asInt()).isEqualTo(again);
        assertThat(rerun.path("compute").asText()).isEqualTo("flaky");
        assertThat(rerun.path("failed").asInt()).as("task 0 fails again, as its first task").isEqualTo(1);
        assertThat(cli("results", "cli-retry-src-retry-1", "--failed", "--ndjson").out()).contains("\"index\":0");

        Path other = dir.resolve("other.json");
        Files.writeString(other, "[{\"seed\":\"a\"}]");
        assertThat(cli("retry", "cli-retry-src", other.toString()).err()).contains("has 1 tasks but job cli-retry-src had 12");
    }

    @Test
    void theSameFileRunsAgainUnderAnotherId() throws Exception {
        Path file = dir.resolve("named.json");
        Files.writeString(file, "{\"id\":\"cli-named\",\"compute\":\"echo\",\"tasks\":[{\"a\":1}]}");
        assertThat(cli("submit", file.toString(), "--wait").out()).contains("Job cli-named completed");
        Run again = cli("submit", file.toString(), "--wait");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already submitted").contains("--id");
        Run renamed = cli("submit", file.toString(), "--id", "cli-named-2", "--wait");
        assertThat(renamed.exit()).as(renamed.err()).isZero();
        assertThat(renamed.out()).contains("Job cli-named-2 completed: 1/1 succeeded");
    }
}
