package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.support.DefaultMessage;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.job.JobFile;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.wire.Wire;

/**
 * Decides whether a reply may enter the aggregator. Only a well-formed reply for a running job,
 * for an index in range that has no result yet, is accepted: duplicates (a worker that crashed
 * between publishing its reply and acking the request) and replies for unknown or finished jobs
 * are logged and dropped, never counted. The aggregator counts every exchange it sees, so this
 * check has to come first; replies are collected by a single consumer so check and count cannot
 * interleave.
 *
 * <p>{@link #split} first turns a reply into one message per task: a plain reply is one task; a
 * chunk reply (header {@code TaskfarmChunkSize}) is split into its per-task outcomes, so the
 * aggregator still counts tasks, not messages. What the checks need from the ledger (the job row,
 * which indexes already have a result) comes from the {@link ReplyBuffer}, which reads it once per
 * job and group commit, not once per reply.
 */
public class ReplyGate {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyGate.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ReplyBuffer buffer;

    public ReplyGate(ReplyBuffer buffer) {
        this.buffer = buffer;
    }

    /** One message per task of the reply in the exchange. */
    public List<Message> split(Exchange exchange) {
        Message in = exchange.getMessage();
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        Integer first = in.getHeader(Wire.TASK_INDEX, Integer.class);
        Integer chunk = in.getHeader(Wire.CHUNK_SIZE, Integer.class);
        int size = chunk == null ? 1 : chunk;
        if (chunk == null || jobId == null || first == null || size < 1 || size > JobFile.MAX_CHUNK) {
            return List.of(in.copy());
        }
        String worker = in.getHeader(Wire.WORKER, String.class);
        String status = in.getHeader(Wire.STATUS, String.class);
        List<Message> tasks = new ArrayList<>(size);
        if (Wire.STATUS_ERROR.equals(status)) {
            String error = in.getHeader(Wire.ERROR, "error reply without a message", String.class);
            for (int i = 0; i < size; i++) {
                tasks.add(task(exchange, jobId, first + i, Wire.STATUS_ERROR, null, error, worker));
            }
            return tasks;
        }
        JsonNode outcomes = null;
        String problem = null;
        try {
            outcomes = MAPPER.readTree(in.getBody(byte[].class));
        } catch (Exception e) {
            problem = "malformed chunk reply: " + e.getMessage();
        }
        if (problem == null && (outcomes == null || !outcomes.isArray() || outcomes.size() != size)) {
            problem = "malformed chunk reply: the body must be a JSON array of " + size + " outcomes";
        }
        for (int i = 0; i < size; i++) {
            if (problem != null) {
                tasks.add(task(exchange, jobId, first + i, Wire.STATUS_ERROR, null, problem, worker));
                continue;
            }
            JsonNode o = outcomes.get(i);
            boolean ok = Wire.STATUS_OK.equals(o.path("status").asText());
            String error = ok ? null : o.path("error").asText("error outcome without a message");
            tasks.add(task(exchange, jobId, first + i, ok ? Wire.STATUS_OK : Wire.STATUS_ERROR,
                    ok ? o.path("result").toString() : null, error, worker));
        }
        return tasks;
    }

    private static Message task(Exchange exchange, String jobId, int index, String status, String result, String error,
            String worker) {
        Message m = new DefaultMessage(exchange.getContext());
        m.setHeader(Wire.JOB_ID, jobId);
        m.setHeader(Wire.TASK_INDEX, index);
        m.setHeader(Wire.STATUS, status);
        if (error != null) {
            m.setHeader(Wire.ERROR, error);
        }
        if (worker != null) {
            m.setHeader(Wire.WORKER, worker);
        }
        m.setHeader(SpringRabbitMQConstants.CORRELATION_ID, Wire.correlationId(jobId, index));
        m.setBody(result != null ? result : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("error", error).toString());
        return m;
    }

    public void check(Exchange exchange) throws SQLException {
        Message in = exchange.getMessage();
        String verdict = verdict(exchange, in);
        in.setHeader(Collect.VERDICT, verdict);
        if (!Collect.ACCEPT.equals(verdict)) {
            LOG.warn("Dropped reply {}: {}", in.getHeader(SpringRabbitMQConstants.CORRELATION_ID), verdict);
        }
    }

    private String verdict(Exchange exchange, Message in) throws SQLException {
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        Integer index = in.getHeader(Wire.TASK_INDEX, Integer.class);
        String status = in.getHeader(Wire.STATUS, String.class);
        if (jobId == null || index == null) {
            return "malformed: the " + Wire.JOB_ID + " and " + Wire.TASK_INDEX + " headers are required";
        }
        if (!Wire.STATUS_OK.equals(status) && !Wire.STATUS_ERROR.equals(status)) {
            return "malformed: " + Wire.STATUS + " must be ok or error, got " + status;
        }
        JobRow job = buffer.job(jobId);
        if (job == null) {
            return "unknown job " + jobId;
        }
        if (!job.isRunning()) {
            buffer.forget(jobId);
            return "job " + jobId + " is " + job.status();
        }
        if (index < 0 || index >= job.total()) {
            return "index " + index + " out of range, job " + jobId + " has " + job.total() + " tasks";
        }
        if (buffer.hasResult(jobId, index)) {
            return "duplicate: task " + index + " of job " + jobId + " already has a result";
        }
        in.setHeader(Wire.TASK_COUNT, job.total());
        in.setHeader(Collect.TIMEOUT_MS, Math.max(1, job.deadlineAt() - System.currentTimeMillis()));
        return Collect.ACCEPT;
    }
}
