package dev.taskfarm.job;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.NoSuchElementException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads job input files in the three accepted formats, always streaming, so a million-task NDJSON
 * file never sits in memory:
 * <ul>
 * <li>a JSON array of task objects: {@code [{...}, {...}]}</li>
 * <li>a job object: {@code {"tasks": [...], "compute": "sha256", "timeout": "PT5M", "id": "my-job"}}</li>
 * <li>NDJSON: one task object per line</li>
 * </ul>
 * {@link #inspect} validates the whole input and counts the tasks; {@link #tasks} then streams the
 * task bodies for publishing.
 */
public final class JobFile {

    static final int MAX_NESTING = 64;
    /** The fields of a job object: a closed set. */
    public static final java.util.List<String> JOB_FIELDS = java.util.List.of("tasks", "compute", "timeout", "id", "chunkSize",
            "priority");
    /** Most tasks one request message may carry. */
    public static final int MAX_CHUNK = 10_000;
    /** Highest job priority (a job's share of the dispatch windows is proportional to it; default 1). */
    public static final int MAX_PRIORITY = 100;
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build());

    private JobFile() {
    }

    /** Validates every task of the input and returns what it says about the job. */
    public static JobSpec inspect(Path file) throws BadJobException {
        try (TaskCursor cursor = new TaskCursor(file)) {
            int count = 0;
            while (cursor.next() != null) {
                count++;
            }
            if (count == 0) {
                throw new BadJobException("the job has no tasks");
            }
            return new JobSpec(count, cursor.compute, cursor.timeout, cursor.jobId, cursor.format, cursor.chunkSize,
                    cursor.priority);
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw new BadJobException("the input exceeds a JSON limit: " + e.getOriginalMessage(), e);
        } catch (JsonParseException e) {
            throw new BadJobException("not valid JSON: " + e.getOriginalMessage() + " at " + location(e.getLocation()), e);
        } catch (IOException e) {
            if (e.getCause() instanceof BadJobException bad) {
                throw bad;
            }
            throw new BadJobException("cannot read the job: " + e.getMessage(), e);
        }
    }

    /** Streams the tasks of a file that {@link #inspect} accepted, as compact JSON text. */
    public static TaskIterator tasks(Path file) throws IOException {
        try {
            return new TaskIterator(new TaskCursor(file));
        } catch (BadJobException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Hands each task of a file that {@link #inspect} accepted, with its index, to {@code check}. */
    public static void forEachTask(Path file, TaskCheck check) throws BadJobException {
        try (TaskCursor cursor = new TaskCursor(file)) {
            int index = 0;
            for (JsonNode task = cursor.next(); task != null; task = cursor.next()) {
                check.check(index++, task);
            }
        } catch (IOException e) {
            throw new BadJobException("cannot read the job: " + e.getMessage(), e);
        }
    }

    /** A check of one task; throws to refuse the job. */
    @FunctionalInterface
    public interface TaskCheck {
        void check(int index, JsonNode task) throws BadJobException;
    }

    /**
     * Streams the tasks of a file that {@link #inspect} accepted in chunks of {@code size} tasks,
     * each chunk a JSON array text (the last one may be shorter): the body of a chunked request.
     */
    public static ChunkIterator chunks(Path file, int size) throws IOException {
        return new ChunkIterator(tasks(file), size);
    }

    /** What a valid priority is, for error messages (job field, REST parameter, CLI option). */
    public static String priorityRule() {
        return "\"priority\" must be a whole number from 1 to " + MAX_PRIORITY
                + " (a job's share of the farm is proportional to it; default 1)";
    }

    private static String location(com.fasterxml.jackson.core.JsonLocation loc) {
        return loc == null ? "?" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** Iterator over task JSON texts; Camel's splitter closes it when done. */
    public static final class TaskIterator implements Iterator<String>, Closeable {
        private final TaskCursor cursor;
        private JsonNode nextTask;

        TaskIterator(TaskCursor cursor) {
            this.cursor = cursor;
        }

        @Override
        public boolean hasNext() {
            if (nextTask == null) {
                try {
                    nextTask = cursor.next();
                } catch (IOException | BadJobException e) {
                    throw new UncheckedIOException(new IOException(e.getMessage(), e));
                }
            }
            return nextTask != null;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String json = nextTask.toString();
            nextTask = null;
            return json;
        }

        @Override
        public void close() throws IOException {
            cursor.close();
        }
    }

    /** Iterator over chunks of tasks as JSON array texts; Camel's splitter closes it when done. */
    public static final class ChunkIterator implements Iterator<String>, Closeable {
        private final TaskIterator tasks;
        private final int size;

        ChunkIterator(TaskIterator tasks, int size) {
            this.tasks = tasks;
            this.size = Math.max(1, size);
        }

        @Override
        public boolean hasNext() {
            return tasks.hasNext();
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            StringBuilder sb = new StringBuilder(size * 48).append('[');
            for (int n = 0; n < size && tasks.hasNext(); n++) {
                sb.append(n == 0 ? "" : ",").append(tasks.next());
            }
            return sb.append(']').toString();
        }

        @Override
        public void close() throws IOException {
            tasks.close();
        }
    }

    /** Walks the tasks of one input with a streaming parser, whatever its format. */
    static final class TaskCursor implements Closeable {
        private final JsonParser parser;
        private final InputStream in;
        JobSpec.Format format;
        String compute;
        Duration timeout;
        String jobId;
        int chunkSize;
        int priority;
        private int index;
        private boolean inArray;
        private boolean finished;

        TaskCursor(Path file) throws IOException, BadJobException {
            in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
            skipBom(in);
            parser = MAPPER.getFactory().createParser(in);
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new BadJobException("the file is empty");
            }
            if (first == JsonToken.START_ARRAY) {
                format = JobSpec.Format.ARRAY;
                inArray = true;
            } else if (first == JsonToken.START_OBJECT) {
                readFirstObject();
            } else {
                throw new BadJobException("expected a JSON array of tasks, a {\"tasks\": [...]} object or NDJSON "
                        + "(one task object per line), but the input starts with " + describe(first));
            }
        }

        private static void skipBom(InputStream in) throws IOException {
            in.mark(3);
            byte[] bom = in.readNBytes(3);
            if (bom.length < 3 || (bom[0] & 0xFF) != 0xEF || (bom[1] & 0xFF) != 0xBB || (bom[2] & 0xFF) != 0xBF) {
                in.reset();
            }
        }

        /**
         * A first object with a "tasks" array is a job object; any other first object is the
         * first task of an NDJSON input. Fields before "tasks" are read as trees (they are small);
         * the tasks array itself is streamed.
         */
        private void readFirstObject() throws IOException, BadJobException {
            com.fasterxml.jackson.databind.node.ObjectNode seen = MAPPER.createObjectNode();
            JsonToken t = parser.nextToken();
            while (t == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("tasks".equals(name) && value == JsonToken.START_ARRAY) {
                    format = JobSpec.Format.OBJECT;
                    inArray = true;
                    for (var field : (Iterable<java.util.Map.Entry<String, JsonNode>>) seen::fields) {
                        jobField(field.getKey(), field.getValue());
                    }
                    return;
                }
                seen.set(name, MAPPER.readTree(parser));
                t = parser.nextToken();
            }
            for (String name : (Iterable<String>) seen::fieldNames) {
                // a job object whose "tasks" is misspelt (an array under a name close to it)
                if (seen.get(name).isArray() && Suggest.closest(name, java.util.List.of("tasks")).isPresent()) {
                    throw new BadJobException(unknownField(name));
                }
            }
            if (seen.has("tasks")) {
                throw new BadJobException("\"tasks\" must be an array of task objects, got " + kind(seen.get("tasks")));
            }
            if (seen.has("compute") || seen.has("timeout")) {
                // most likely a job object with a misspelt "tasks"; a lone task with such fields must be wrapped in [ ]
                throw new BadJobException("the object names a compute or timeout but has no \"tasks\" array"
                        + " (fields: " + String.join(", ", (Iterable<String>) seen::fieldNames) + ")");
            }
            format = JobSpec.Format.NDJSON;
            pendingFirstTask = seen;
        }

        private JsonNode pendingFirstTask;

        private void jobField(String field, JsonNode value) throws BadJobException {
            switch (field) {
                case "compute" -> compute = text(field, value);
                case "id" -> {
                    jobId = text(field, value);
                    if (!JobIds.isValid(jobId)) {
                        throw new BadJobException("\"id\" must match [A-Za-z0-9._-]{1,100} and not start with a dot, got \""
                                + jobId + "\"");
                    }
                }
                case "timeout" -> timeout = duration(value);
                case "chunkSize" -> {
                    if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1 || value.asInt() > MAX_CHUNK) {
                        throw new BadJobException("\"chunkSize\" must be a whole number from 1 to " + MAX_CHUNK + ", got " + value);
                    }
                    chunkSize = value.asInt();
                }
                case "priority" -> priority = priority(value);
                case "tasks" -> throw new BadJobException("\"tasks\" appears twice in the job object");
                default -> throw new BadJobException(unknownField(field));
            }
        }

        private static String unknownField(String field) {
            return Suggest.unknown("field", field, JOB_FIELDS)
                    + " (a job object has \"tasks\", and optionally \"compute\", \"timeout\", \"id\", \"chunkSize\", \"priority\")";
        }

        private static int priority(JsonNode value) throws BadJobException {
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1 || value.asInt() > MAX_PRIORITY) {
                throw new BadJobException(priorityRule() + ", got " + value);
            }
            return value.asInt();
        }

        private static String text(String field, JsonNode value) throws BadJobException {
            if (!value.isTextual() || value.asText().isBlank()) {
                throw new BadJobException("\"" + field + "\" must be a non-empty string, got " + kind(value));
            }
            return value.asText();
        }

        private static Duration duration(JsonNode value) throws BadJobException {
            Duration d;
            if (value.isIntegralNumber()) {
                d = Duration.ofMillis(value.asLong());
            } else if (value.isTextual()) {
                try {
                    d = Duration.parse(value.asText());
                } catch (DateTimeParseException e) {
                    throw new BadJobException("\"timeout\" must be an ISO-8601 duration such as \"PT5M\" or milliseconds, got \""
                            + value.asText() + "\"");
                }
            } else {
                throw new BadJobException("\"timeout\" must be an ISO-8601 duration such as \"PT5M\" or milliseconds, got "
                        + kind(value));
            }
            if (d.isNegative() || d.isZero()) {
                throw new BadJobException("\"timeout\" must be positive, got " + d);
            }
            return d;
        }

        private static String kind(JsonNode n) {
            return switch (n.getNodeType()) {
                case ARRAY -> "an array";
                case OBJECT -> "an object";
                case STRING -> "a string";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL, MISSING -> "null";
                default -> n.getNodeType().name().toLowerCase();
            };
        }

        /** The next task, or null at the end; a task that is not an object is an error. */
        JsonNode next() throws IOException, BadJobException {
            if (finished) {
                return null;
            }
            if (pendingFirstTask != null) {
                JsonNode first = pendingFirstTask;
                pendingFirstTask = null;
                index++;
                return first;
            }
            JsonToken t = parser.nextToken();
            if (inArray && t == JsonToken.END_ARRAY) {
                expectEnd();
                return null;
            }
            if (!inArray && t == null) {
                finished = true;
                return null;
            }
            if (t != JsonToken.START_OBJECT) {
                throw new BadJobException("task " + index + " must be a JSON object, got " + describe(t)
                        + " (" + location(parser.currentTokenLocation()) + ")");
            }
            JsonNode task = MAPPER.readTree(parser);
            index++;
            return task;
        }

        private void expectEnd() throws IOException, BadJobException {
            finished = true;
            JsonToken t = parser.nextToken();
            if (format == JobSpec.Format.OBJECT) {
                // fields after "tasks" in a job object
                while (t == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    jobField(field, MAPPER.readTree(parser));
                    t = parser.nextToken();
                }
                if (t != JsonToken.END_OBJECT) {
                    throw new BadJobException("unexpected " + describe(t) + " in the job object");
                }
                t = parser.nextToken();
            }
            if (t != null) {
                throw new BadJobException("unexpected content after the end of the job: " + describe(t)
                        + " (" + location(parser.currentTokenLocation()) + ")");
            }
        }

        private static String describe(JsonToken t) {
            if (t == null) {
                return "the end of the input";
            }
            return switch (t) {
                case START_ARRAY -> "an array";
                case START_OBJECT -> "an object";
                case VALUE_STRING -> "a string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
            };
        }

        @Override
        public void close() throws IOException {
            parser.close();
            in.close();
        }
    }
}
