package dev.taskfarm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.taskfarm.job.BadJobException;
import dev.taskfarm.job.JobFile;
import dev.taskfarm.job.JobIds;
import dev.taskfarm.job.JobSpec;

/**
 * {@code taskfarm retry JOB FILE}: a new job of the tasks of an ended job that failed or have no
 * result. The farm keeps results, not inputs, so the job's input file is given again; its tasks
 * are picked by index, keeping their order, and run with the job's compute.
 */
@Command(name = "retry", description = {
    "Run the failed and missing tasks of an ended job again, as a new job.",
    "FILE is the input the job ran (the farm keeps results, not inputs). Task i of the new job is",
    "the i-th failed or missing task of JOB in index order."})
class Retry extends TaskfarmCli.Subcommand {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "JOB", description = "the ended job")
    String jobId;
    @Parameters(index = "1", paramLabel = "FILE", description = "the job's input file")
    Path file;
    @Option(names = "--id", description = "id of the new job (default: JOB-retry-N, the first N not taken)")
    String id;
    @picocli.CommandLine.Mixin
    TaskfarmCli.WaitOptions waiting;

    @Override
    public Integer call() throws Exception {
        ApiClient api = api();
        JsonNode job = api.job(jobId);
        if ("running".equals(job.path("status").asText())) {
            throw new ApiClient.CliException("job " + jobId + " is still running: retry it once it has ended"
                    + " (or cancel it first)");
        }
        JobSpec spec = inspect();
        int total = job.path("total").asInt();
        if (spec.taskCount() != total) {
            throw new ApiClient.CliException(file + " has " + spec.taskCount() + " tasks but job " + jobId + " had " + total
                    + ": give the file that job ran");
        }
        BitSet failed = indexes(api, "error");
        BitSet missing = indexes(api, "missing");
        BitSet again = (BitSet) failed.clone();
        again.or(missing);
        if (again.isEmpty()) {
            out().println("Nothing to retry: all " + total + " tasks of " + jobId + " succeeded");
            out().flush();
            return 0;
        }
        String newId = id != null ? id : freeId(api);
        Path tasks = Files.createTempFile("taskfarm-retry-", ".json");
        try {
            write(tasks, job.path("compute").asText(), spec, again);
            out().println("Retrying " + again.cardinality() + " of " + total + " tasks of " + jobId + " ("
                    + failed.cardinality() + " failed, " + missing.cardinality() + " missing) as job " + newId);
            return TaskfarmCli.submit(api, tasks, newId, waiting.await, waiting.intervalMs, out());
        } finally {
            Files.deleteIfExists(tasks);
        }
    }

    private JobSpec inspect() throws ApiClient.CliException {
        if (!Files.isReadable(file)) {
            throw new ApiClient.CliException("cannot read " + file);
        }
        try {
            return JobFile.inspect(file);
        } catch (BadJobException e) {
            throw new ApiClient.CliException(file + " is not a job: " + e.getMessage());
        }
    }

    /** The indexes of the job's results with this status. */
    private BitSet indexes(ApiClient api, String status) throws Exception {
        BitSet set = new BitSet();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(api.results(jobId, true, status),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                JsonNode r = MAPPER.readTree(line);
                if (r.has("index")) {
                    set.set(r.get("index").asInt());
                }
            }
        }
        return set;
    }

    private String freeId(ApiClient api) throws Exception {
        String base = jobId.length() > 88 ? jobId.substring(0, 88) : jobId;
        for (int n = 1; ; n++) {
            String candidate = base + "-retry-" + n;
            if (JobIds.isValid(candidate) && !api.exists(candidate)) {
                return candidate;
            }
        }
    }

    /** A job object of the chosen tasks, streamed from the input, with the job's compute. */
    private void write(Path target, String compute, JobSpec spec, BitSet chosen) throws IOException {
        try (Writer w = Files.newBufferedWriter(target); JobFile.TaskIterator all = JobFile.tasks(file)) {
            w.write("{\"compute\":" + MAPPER.writeValueAsString(compute));
            if (spec.timeout() != null) {
                w.write(",\"timeout\":" + MAPPER.writeValueAsString(spec.timeout().toString()));
            }
            if (spec.chunkSize() > 0) {
                w.write(",\"chunkSize\":" + spec.chunkSize());
            }
            w.write(",\"tasks\":[");
            boolean first = true;
            for (int i = 0; all.hasNext(); i++) {
                String task = all.next();
                if (chosen.get(i)) {
                    w.write(first ? task : "," + task);
                    first = false;
                }
            }
            w.write("]}");
        }
    }
}
