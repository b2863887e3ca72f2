package dev.taskfarm.job;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobFileTest {

    @TempDir
    Path dir;

    private Path file(String content) throws Exception {
        Path p = Files.createTempFile(dir, "job", ".json");
        Files.writeString(p, content);
        return p;
    }

    private static List<String> tasks(Path p) throws Exception {
        List<String> out = new ArrayList<>();
        try (var it = JobFile.tasks(p)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void arrayOfTasks() throws Exception {
        Path p = file("[{\"a\":1}, {\"b\": [2, 3]}]");
        JobSpec spec = JobFile.inspect(p);
        assertThat(spec.taskCount()).isEqualTo(2);
        assertThat(spec.format()).isEqualTo(JobSpec.Format.ARRAY);
        assertThat(spec.compute()).isNull();
        assertThat(tasks(p)).containsExactly("{\"a\":1}", "{\"b\":[2,3]}");
    }

    @Test
    void jobObjectWithFieldsBeforeAndAfterTasks() throws Exception {
        Path p = file("{\"compute\":\"echo\", \"tasks\":[{\"x\":1}], \"timeout\":\"PT2S\", \"id\":\"my-job\"}");
        JobSpec spec = JobFile.inspect(p);
        assertThat(spec).isEqualTo(new JobSpec(1, "echo", Duration.ofSeconds(2), "my-job", JobSpec.Format.OBJECT));
        assertThat(tasks(p)).containsExactly("{\"x\":1}");
    }

    @Test
    void ndjsonWithBlankLinesAndBom() throws Exception {
        Path p = Files.createTempFile(dir, "job", ".ndjson");
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        Files.write(p, bom);
        Files.writeString(p, "{\"id\":1,\"seed\":\"a\"}\n\n{\"seed\":\"b\"}\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        JobSpec spec = JobFile.inspect(p);
        assertThat(spec.format()).isEqualTo(JobSpec.Format.NDJSON);
        assertThat(spec.taskCount()).isEqualTo(2);
        assertThat(spec.jobId()).as("a task's own id field is not the job id").isNull();
        assertThat(tasks(p)).containsExactly("{\"id\":1,\"seed\":\"a\"}", "{\"seed\":\"b\"}");
    }

    @Test
    void chunkSizeFieldAndChunksOfTasks() throws Exception {
        Path p = file("{\"chunkSize\": 2, \"tasks\": [{\"a\":1}, {\"a\":2}, {\"a\":3}]}");
        assertThat(JobFile.inspect(p).chunkSize()).isEqualTo(2);
        List<String> chunks = new ArrayList<>();
        try (var it = JobFile.chunks(p, 2)) {
            it.forEachRemaining(chunks::add);
        }
        assertThat(chunks).containsExactly("[{\"a\":1},{\"a\":2}]", "[{\"a\":3}]");
        assertThat(JobFile.inspect(file("[{}]")).chunkSize()).as("not given").isZero();
        assertBad("{\"chunkSize\": 0, \"tasks\": [{}]}", "\"chunkSize\" must be a whole number from 1 to 10000");
        assertBad("{\"chunkSize\": \"5\", \"tasks\": [{}]}", "\"chunkSize\" must be a whole number");
        assertBad("{\"chunkSize\": 2.5, \"tasks\": [{}]}", "\"chunkSize\" must be a whole number");
    }

    @Test
    void timeoutInMilliseconds() throws Exception {
        assertThat(JobFile.inspect(file("{\"timeout\": 1500, \"tasks\": [{}]}")).timeout()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void rejectsWithReasons() throws Exception {
        assertBad("", "the file is empty");
        assertBad("   \n", "the file is empty");
        assertBad("[]", "the job has no tasks");
        assertBad("{\"tasks\": []}", "the job has no tasks");
        assertBad("[1, 2]", "task 0 must be a JSON object, got a number");
        assertBad("[{}, \"x\"]", "task 1 must be a JSON object, got a string");
        assertBad("\"hello\"", "the input starts with a string");
        assertBad("[{\"a\":1}", "not valid JSON");
        assertBad("[{}] [{}]", "unexpected content after the end of the job");
        assertBad("{\"tasks\": {\"a\": 1}}", "\"tasks\" must be an array");
        assertBad("{\"tasks\": [{}], \"compute\": 5}", "\"compute\" must be a non-empty string");
        assertBad("{\"tasks\": [{}], \"timeout\": \"soon\"}", "\"timeout\" must be an ISO-8601 duration");
        assertBad("{\"tasks\": [{}], \"timeout\": -5}", "\"timeout\" must be positive");
        assertBad("{\"id\": \"../etc/passwd\", \"tasks\": [{}]}", "\"id\" must match");
        assertBad("{\"a\":1}\n[2]", "task 1 must be a JSON object, got an array");
        assertBad("[" + "{\"a\":".repeat(100) + "1" + "}".repeat(100) + "]", "exceeds a JSON limit");
    }

    @Test
    void aMisspeltTasksFieldIsAnErrorWithASuggestion() throws Exception {
        assertBad("{\"taks\":[{\"seed\":\"a\"}]}", "unknown field taks; did you mean tasks?");
        assertBad("{\"Tasks\":[{\"seed\":\"a\"}]}", "unknown field Tasks; did you mean tasks?");
        assertBad("{\"task\":[{\"seed\":\"a\"}], \"compute\":\"echo\"}", "unknown field task; did you mean tasks?");
        assertBad("{\"comptue\": \"sha256\", \"tasks\": [{}]}", "unknown field comptue; did you mean compute?");
        assertBad("{\"tasks\": [{}], \"timeuot\": \"PT1M\"}", "unknown field timeuot; did you mean timeout?");
        assertBad("{\"tasks\": [{}], \"chunksize\": 5}", "unknown field chunksize; did you mean chunkSize?");
    }

    @Test
    void aTaskWithAnArrayFieldStillStartsAnNdjsonJob() throws Exception {
        JobSpec spec = JobFile.inspect(file("{\"items\":[1,2]}\n{\"items\":[3]}\n"));
        assertThat(spec.taskCount()).isEqualTo(2);
        assertThat(spec.format()).isEqualTo(JobSpec.Format.NDJSON);
    }

    private void assertBad(String content, String reason) throws Exception {
        Path p = file(content);
        assertThatThrownBy(() -> JobFile.inspect(p)).as(content).isInstanceOf(BadJobException.class).hasMessageContaining(reason);
    }
}
