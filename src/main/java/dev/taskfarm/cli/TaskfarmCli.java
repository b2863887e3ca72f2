package dev.taskfarm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The taskfarm command line, a client of the job API, in the same jar as the farm:
 * {@code java -jar taskfarm.jar submit FILE --wait}, {@code status ID}, {@code results ID},
 * {@code cancel ID}, {@code jobs}, {@code retry JOB FILE}, {@code help [COMMAND]}; the global
 * {@code --url} may come before or after the command. Exit codes: 0 completed, 1 error (server unreachable, request
 * refused), 2 usage, 3 partial, 4 failed, 5 timed_out, 6 cancelled.
 */
@Command(name = "taskfarm", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "taskfarm 0.1",
        description = "Talks to a running taskfarm through its job API.",
        subcommands = {TaskfarmCli.Submit.class, TaskfarmCli.Status.class, TaskfarmCli.Results.class,
            TaskfarmCli.Cancel.class, TaskfarmCli.Jobs.class, Retry.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 completed, 1 error, 2 usage, 3 partial, 4 failed, 5 timed_out, 6 cancelled."})
public class TaskfarmCli {

    static final Set<String> COMMANDS = Set.of("submit", "status", "results", "cancel", "jobs", "retry", "help");
    /** Options that make the jar the CLI even without a command: help and version. */
    static final Set<String> CLI_OPTIONS = Set.of("-h", "--help", "-V", "--version");
    static final Map<String, Integer> EXIT_CODES = Map.of("completed", 0, "partial", 3, "failed", 4,
            "timed_out", 5, "cancelled", 6);
    public static final int ERROR = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Option(names = "--url", scope = CommandLine.ScopeType.INHERIT, paramLabel = "URL",
            description = "taskfarm's HTTP address (default: $TASKFARM_URL or http://localhost:8080)")
    String url;

    /**
     * Whether the arguments are for the CLI (else taskfarm runs as a farm): a command, possibly
     * after the global {@code --url URL}, or help/version.
     */
    public static boolean isCommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (COMMANDS.contains(a) || CLI_OPTIONS.contains(a)) {
                return true;
            }
            if ("--url".equals(a)) {
                i++;
            } else if (!a.startsWith("--url=")) {
                return false;
            }
        }
        return args.length > 0;
    }

    public static int run(String[] args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TaskfarmCli());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("taskfarm: " + e.getMessage());
            return ERROR;
        });
        return cl;
    }

    static final String DEFAULT_URL = "http://localhost:8080";

    ApiClient client() {
        String u = url != null ? url : System.getenv("TASKFARM_URL");
        return new ApiClient(u == null || u.isBlank() ? DEFAULT_URL : u);
    }

    static int exitCode(JsonNode job) {
        return EXIT_CODES.getOrDefault(job.path("status").asText(), 0);
    }

    /** One line per job: id, status, counts, times. */
    static String line(JsonNode job) {
        return String.format(Locale.ROOT, "%-40s %-10s %6d/%-6d %5.1f%%  %d failed  started %s", job.path("id").asText(),
                job.path("status").asText(), job.path("done").asInt(), job.path("total").asInt(),
                job.path("percent").asDouble(), job.path("failed").asInt(), job.path("startedAt").asText());
    }

    /** What every command has: the parent's --url, its own output. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        TaskfarmCli parent;
        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        ApiClient api() {
            return parent.client();
        }
    }

    /** How a command that submits a job follows it. */
    static class WaitOptions {
        @Option(names = "--wait", description = "follow the job with a progress bar until it ends; the exit code tells how")
        boolean await;
        @Option(names = "--interval", defaultValue = "500", paramLabel = "MS", description = "poll interval with --wait (ms)")
        long intervalMs;
    }

    /** A command about one job. */
    abstract static class JobCommand extends Subcommand {
        @Parameters(index = "0", paramLabel = "ID", description = "the job id")
        String id;
    }

    @Command(name = "submit", description = "Submit a job file (JSON array, {\"tasks\": [...]} object or NDJSON).")
    static class Submit extends Subcommand {
        @Parameters(index = "0", paramLabel = "FILE", description = "the job file")
        Path file;
        @Option(names = "--id", description = "job id (default: the file's \"id\", else generated); wins over the file's")
        String id;
        @Option(names = "--priority", paramLabel = "N", description = "the job's share weight, 1 to 100 (default 1):"
                + " running jobs share the farm in proportion to their priorities; the file's \"priority\" wins")
        Integer priority;
        @CommandLine.Mixin
        WaitOptions waiting;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = out();
            if (!Files.isReadable(file)) {
                throw new IOException("cannot read " + file);
            }
            if (priority != null && (priority < 1 || priority > dev.taskfarm.job.JobFile.MAX_PRIORITY)) {
                throw new ApiClient.CliException("--priority must be a whole number from 1 to "
                        + dev.taskfarm.job.JobFile.MAX_PRIORITY + ", got " + priority);
            }
            return submit(api(), file, id, priority, waiting.await, waiting.intervalMs, out());
        }
    }

    /** POST the file, say where the job is, and with {@code await} follow it to its end. */
    static int submit(ApiClient api, Path file, String id, boolean await, long intervalMs, PrintWriter out) throws Exception {
        return submit(api, file, id, null, await, intervalMs, out);
    }

    static int submit(ApiClient api, Path file, String id, Integer priority, boolean await, long intervalMs, PrintWriter out)
            throws Exception {
        JsonNode job;
        try {
            job = api.submit(file, id, priority);
        } catch (ApiClient.CliException e) {
            if (e.getMessage().startsWith("HTTP 409")) {
                throw new ApiClient.CliException(e.getMessage() + " (taskfarm submit --id NEW_ID runs the same file again)");
            }
            throw e;
        }
        String jobId = job.path("id").asText();
        out.println("Submitted job " + jobId + ": " + job.path("total").asInt() + " tasks -> "
                + api.base() + "/jobs/" + jobId);
        out.flush();
        if (!await) {
            return 0;
        }
        job = follow(api, jobId, out, intervalMs);
        out.println(summary(job));
        printFailures(api, job, out);
        out.flush();
        return exitCode(job);
    }

    /**
     * Polls the job and redraws its progress bar until it ends. Interrupted (Ctrl-C), it says that
     * the job goes on without it and how to follow it again.
     */
    static JsonNode follow(ApiClient api, String jobId, PrintWriter out, long intervalMs) throws Exception {
        Thread onInterrupt = new Thread(() -> {
            out.println();
            out.println("Job " + jobId + " keeps running on the farm.");
            out.println("  follow it: taskfarm" + urlOption(api) + " status " + jobId + " --wait");
            out.println("  stop it:   taskfarm" + urlOption(api) + " cancel " + jobId);
            out.flush();
        }, "taskfarm-cli-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try {
            return poll(api, jobId, out, intervalMs);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    private static String urlOption(ApiClient api) {
        return DEFAULT_URL.equals(api.base().toString()) ? "" : " --url " + api.base();
    }

    private static JsonNode poll(ApiClient api, String jobId, PrintWriter out, long intervalMs) throws Exception {
        boolean tty = Terminal.interactive();
        // one column spare: a line as wide as the terminal wraps on some terminals
        int columns = tty ? Terminal.columns() - 1 : Integer.MAX_VALUE;
        int lastDone = -1;
        String lastNotice = null;
        while (true) {
            JsonNode job = api.job(jobId);
            boolean ended = !"running".equals(job.path("status").asText());
            String bar = ProgressBar.fit(job, columns);
            int done = job.path("done").asInt();
            // what the farm says about the job (no worker serves its compute): once, when it changes
            String notice = job.path("notice").asText(null);
            if (notice != null && !notice.equals(lastNotice)) {
                out.println((tty && lastDone >= 0 ? "\r\u001b[K" : "") + "Note: " + notice);
            }
            lastNotice = notice;
            if (tty) {
                // one line, redrawn in place: back to its start, draw, clear what is left of the old one
                out.print("\r" + bar + "\u001b[K");
                if (ended) {
                    out.println();
                }
            } else if (done != lastDone || ended) {
                // a log or a pipe gets a line whenever the count moves
                out.println(bar);
            }
            out.flush();
            lastDone = done;
            if (ended) {
                return job;
            }
            Thread.sleep(intervalMs);
        }
    }

    static String summary(JsonNode job) {
        long ms = Duration.between(Instant.parse(job.path("startedAt").asText()),
                Instant.parse(job.path("finishedAt").asText(job.path("startedAt").asText()))).toMillis();
        int missing = job.path("missing").asInt();
        return String.format(Locale.ROOT, "Job %s %s: %d/%d succeeded, %d failed%s in %.1f s (%.1f tasks/s)",
                job.path("id").asText(), job.path("status").asText(), job.path("succeeded").asInt(),
                job.path("total").asInt(), job.path("failed").asInt(), missing > 0 ? ", " + missing + " missing" : "",
                ms / 1000.0, job.path("rate").asDouble());
    }

    /** The first few failed tasks of a job, one line each. */
    static void printFailures(ApiClient api, JsonNode job, PrintWriter out) throws Exception {
        if (job.path("failed").asInt() == 0) {
            return;
        }
        int shown = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                api.results(job.path("id").asText(), true, "error"), StandardCharsets.UTF_8))) {
            String l;
            while (shown < 5 && (l = lines.readLine()) != null) {
                JsonNode r = MAPPER.readTree(l);
                out.println("  task " + r.path("index").asInt() + ": " + r.path("error").asText());
                shown++;
            }
        }
        if (job.path("failed").asInt() > shown) {
            out.println("  ... " + (job.path("failed").asInt() - shown) + " more: taskfarm results "
                    + job.path("id").asText() + " --failed");
        }
    }

    @Command(name = "status", description = "Show a job's status and progress.")
    static class Status extends JobCommand {
        @Option(names = "--json", description = "print the API's JSON")
        boolean json;
        @Option(names = "--wait", description = "follow the job until it ends")
        boolean await;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = out();
            ApiClient api = api();
            JsonNode job = await ? follow(api, id, out, 500) : api.job(id);
            if (json) {
                out.println(job.toPrettyString());
            } else if ("running".equals(job.path("status").asText())) {
                out.println("Job " + id + " running");
                out.println(ProgressBar.render(job, ProgressBar.BAR_WIDTH));
                if (job.hasNonNull("notice")) {
                    out.println("  " + job.path("notice").asText());
                }
            } else {
                out.println(summary(job));
            }
            out.flush();
            return exitCode(job);
        }
    }

    @Command(name = "results", description = "Print a job's results (the result document, or NDJSON).")
    static class Results extends JobCommand {
        @Option(names = "--ndjson", description = "one result per line")
        boolean ndjson;
        @Option(names = "--failed", description = "only the failed tasks")
        boolean failed;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write to FILE instead of standard output")
        Path output;

        @Override
        public Integer call() throws Exception {
            try (InputStream in = api().results(id, ndjson, failed ? "error" : null)) {
                if (output != null) {
                    Files.copy(in, output, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    PrintWriter out = out();
                    new InputStreamReader(in, StandardCharsets.UTF_8).transferTo(out);
                    out.flush();
                }
            }
            return 0;
        }
    }

    @Command(name = "cancel", description = "Cancel a running job; its pending tasks are skipped.")
    static class Cancel extends JobCommand {
        @Override
        public Integer call() throws Exception {
            out().println(summary(api().cancel(id)));
            out().flush();
            return 0;
        }
    }

    @Command(name = "jobs", description = "List the most recent jobs.")
    static class Jobs extends Subcommand {
        @Option(names = "--limit", defaultValue = "20", description = "how many (newest first)")
        int limit;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = out();
            for (JsonNode job : api().jobs(limit).path("jobs")) {
                out.println(line(job));
            }
            out.flush();
            return 0;
        }
    }
}
