package dev.taskfarm.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A received reply as the coordinator reads it (docs/WIRE.md): {@link #read} turns it into one
 * outcome per task it answers, and every way a reply can break the contract into a failed task
 * with the reason (see docs/WIRE.md "Malformed replies"). A pure function of the message; the
 * replies themselves are built by {@link ReplyMessages}.
 */
public final class ReplyReading {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReplyReading() {
    }

    /** What a reply says about one task, as the coordinator records it. */
    public record TaskOutcome(String jobId, int index, boolean ok, String result, String error) {
    }

    /**
     * A reply as the coordinator reads it: the outcome of each task it answers (none when it cannot
     * be told which task it is for) and, when the reply breaks the contract, what is wrong with it
     * ({@code problem}, a short name for the metric, and {@code detail}); each task of such a reply is
     * an error outcome saying why.
     */
    public record Reading(List<TaskOutcome> tasks, String problem, String detail) {
        public boolean malformed() {
            return problem != null;
        }
    }

    /** The task (or chunk) a correlation id or the headers name. */
    private record Target(String jobId, int first, int size) {
    }

    /** What breaks the contract: the kind (metric tag) and the text recorded as the error. */
    private record Problem(String kind, String detail) {
    }

    /** Kinds of malformed replies (the {@code problem} tag of taskfarm_replies_malformed_total). */
    public static final String UNATTRIBUTABLE = "unattributable";
    public static final String CORRELATION = "correlation";
    public static final String HEADERS = "headers";
    public static final String STATUS = "status";
    public static final String VERSION = "version";
    public static final String CHUNK_SIZE = "chunk-size";
    public static final String BODY = "body";

    /**
     * Reads a reply received by the coordinator: its correlation id, the contract headers and the
     * body. The correlation id decides which task (or chunk) the reply answers; the headers must
     * agree with it. A pure function of the message.
     */
    public static Reading read(Map<String, Object> headers, String correlationId, byte[] body) {
        Target byId = parseCorrelationId(correlationId);
        String jobId = text(headers.get(Wire.JOB_ID));
        Integer index = integer(headers.get(Wire.TASK_INDEX));
        Object chunkHeader = headers.get(Wire.CHUNK_SIZE);
        Integer chunk = integer(chunkHeader);
        Target target = byId;
        if (target == null && jobId != null && index != null) {
            target = new Target(jobId, index, chunk != null && chunk >= 1 && chunk <= MAX_CHUNK ? chunk : 1);
        }
        if (target == null) {
            return new Reading(List.of(), UNATTRIBUTABLE, "neither the correlation_id (" + correlationId
                    + ") nor the headers say which task the reply answers");
        }
        String status = text(headers.get(Wire.STATUS));
        Object version = headers.get(Wire.WIRE);
        Problem problem = null;
        if (version != null && !Integer.valueOf(Wire.WIRE_VERSION).equals(integer(version))) {
            problem = new Problem(VERSION, "unsupported " + Wire.WIRE + " " + version + " (this coordinator reads version "
                    + Wire.WIRE_VERSION + ")");
        } else if (byId == null) {
            problem = new Problem(CORRELATION, "correlation_id " + (correlationId == null ? "missing" : "\"" + correlationId
                    + "\" is not <jobId>:<index> or <jobId>:<first>+<size>") + "; it must be the request's");
        } else if (jobId == null || index == null || status == null) {
            problem = new Problem(HEADERS, "header " + (jobId == null ? Wire.JOB_ID : index == null ? Wire.TASK_INDEX
                    : Wire.STATUS) + " missing or not " + (index == null && jobId != null ? "an integer" : "a string"));
        } else if (!jobId.equals(byId.jobId()) || index != byId.first()) {
            problem = new Problem(CORRELATION, "headers " + Wire.JOB_ID + "=" + jobId + ", " + Wire.TASK_INDEX + "=" + index
                    + " disagree with correlation_id " + correlationId);
        } else if (chunkHeader == null && byId.size() > 1) {
            problem = new Problem(CHUNK_SIZE, "header " + Wire.CHUNK_SIZE + " missing: correlation_id " + correlationId
                    + " names a chunk of " + byId.size() + " tasks");
        } else if (chunkHeader != null && (chunk == null || chunk != byId.size())) {
            problem = new Problem(CHUNK_SIZE, Wire.CHUNK_SIZE + "=" + chunkHeader + " disagrees with correlation_id "
                    + correlationId + " (" + byId.size() + (byId.size() == 1 ? " task)" : " tasks)"));
        } else if (!Wire.STATUS_OK.equals(status) && !Wire.STATUS_ERROR.equals(status)) {
            problem = new Problem(STATUS, Wire.STATUS + " must be ok or error, got " + status);
        }
        if (problem != null) {
            return failAll(target, problem.kind(), problem.detail());
        }
        if (Wire.STATUS_ERROR.equals(status)) {
            return new Reading(all(target, errorText(headers.get(Wire.ERROR), body)), null, null);
        }
        if (chunkHeader == null) {
            String result = json(body);
            return result == null ? failAll(target, BODY, "the body is not JSON (an ok reply's body is exactly one JSON value)")
                    : new Reading(List.of(new TaskOutcome(target.jobId(), target.first(), true, result, null)), null, null);
        }
        return readChunk(target, body);
    }

    private static Reading readChunk(Target target, byte[] body) {
        JsonNode outcomes;
        try {
            outcomes = MAPPER.readTree(body);
        } catch (IOException e) {
            outcomes = null;
        }
        if (outcomes == null || !outcomes.isArray() || outcomes.size() != target.size()) {
            return failAll(target, BODY, "malformed chunk reply: the body must be a JSON array of " + target.size()
                    + " outcomes");
        }
        List<TaskOutcome> tasks = new ArrayList<>(target.size());
        String detail = null;
        for (int i = 0; i < target.size(); i++) {
            JsonNode o = outcomes.get(i);
            String status = o.path("status").asText(null);
            int index = target.first() + i;
            if (Wire.STATUS_OK.equals(status) && o.has("result")) {
                tasks.add(new TaskOutcome(target.jobId(), index, true, o.get("result").toString(), null));
            } else if (Wire.STATUS_ERROR.equals(status)) {
                JsonNode error = o.get("error");
                tasks.add(new TaskOutcome(target.jobId(), index, false, null, ReplyMessages.limit(error != null && error.isTextual()
                        && !error.asText().isBlank() ? error.asText() : "error outcome without a reason")));
            } else {
                String why = "malformed chunk reply: outcome " + i + " must be {\"status\":\"ok\",\"result\":...} or "
                        + "{\"status\":\"error\",\"error\":\"...\"}";
                detail = detail == null ? why : detail;
                tasks.add(new TaskOutcome(target.jobId(), index, false, null, why));
            }
        }
        return new Reading(tasks, detail == null ? null : BODY, detail);
    }

    private static Reading failAll(Target target, String problem, String detail) {
        String error = detail.startsWith("malformed") ? detail : "malformed reply: " + detail;
        return new Reading(all(target, ReplyMessages.limit(error)), problem, detail);
    }

    private static List<TaskOutcome> all(Target target, String error) {
        List<TaskOutcome> tasks = new ArrayList<>(target.size());
        for (int i = 0; i < target.size(); i++) {
            tasks.add(new TaskOutcome(target.jobId(), target.first() + i, false, null, error));
        }
        return tasks;
    }

    /** The reason of an error reply: the TaskfarmError header, else the body's "error", cut to {@link Wire#MAX_ERROR}. */
    static String errorText(Object header, byte[] body) {
        String text = text(header);
        if (text == null || text.isBlank()) {
            try {
                JsonNode error = body == null || body.length == 0 ? null : MAPPER.readTree(body).get("error");
                text = error != null && error.isTextual() ? error.asText() : null;
            } catch (IOException | RuntimeException e) {
                text = null;
            }
        }
        return ReplyMessages.limit(text == null || text.isBlank() ? "error reply without a reason (no " + Wire.ERROR
                + " header, no {\"error\": ...} body)" : text);
    }

    /** The body as text if it is exactly one JSON value, else null. */
    static String json(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try (JsonParser p = MAPPER.getFactory().createParser(body)) {
            if (p.nextToken() == null) {
                return null;
            }
            p.skipChildren();
            return p.nextToken() == null ? new String(body, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code <jobId>:<index>} or {@code <jobId>:<first>+<size>}, else null. */
    static Target parseCorrelationId(String id) {
        if (id == null) {
            return null;
        }
        int colon = id.lastIndexOf(':');
        if (colon < 1) {
            return null;
        }
        String rest = id.substring(colon + 1);
        int plus = rest.indexOf('+');
        try {
            int first = Integer.parseInt(plus < 0 ? rest : rest.substring(0, plus));
            int size = plus < 0 ? 1 : Integer.parseInt(rest.substring(plus + 1));
            if (first < 0 || size < 1 || size > MAX_CHUNK || plus >= 0 && size == 1) {
                return null;
            }
            return new Target(id.substring(0, colon), first, size);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static final int MAX_CHUNK = dev.taskfarm.job.JobFile.MAX_CHUNK;

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        String s = v.toString(); // AMQP long strings arrive as LongString
        return s.isEmpty() ? null : s;
    }

    private static Integer integer(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            long n = ((Number) v).longValue();
            return n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE ? (int) n : null;
        }
        if (v != null && !(v instanceof Number)) {
            try {
                return Integer.valueOf(v.toString().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
