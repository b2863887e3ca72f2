package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.support.DefaultMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.chunk.ComputeCosts;
import dev.taskfarm.wire.ReplyBatches;
import dev.taskfarm.wire.ReplyReading;
import dev.taskfarm.wire.Wire;

/**
 * Decides whether a reply may enter the aggregator. Only a reply for a running job, for an index
 * in range that has no result yet, is accepted: duplicates (a worker that crashed between
 * publishing its reply and acking the request) and replies for unknown or finished jobs are
 * logged, counted ({@code taskfarm_replies_dropped_total}) and dropped. The aggregator counts
 * every exchange it sees, so this check has to come first; replies are collected by a single
 * consumer so check and count cannot interleave.
 *
 * <p>A reply is first read with {@link ReplyReading#read}: a reply that breaks the wire contract
 * (headers that disagree with the correlation id, a body that is not JSON, a missing or unknown
 * status, a chunk reply with a missing or wrong chunk size, ...) becomes a failed task with the
 * reason, counted in {@code taskfarm_replies_malformed_total}, so a task the worker acked never
 * goes missing and no invalid JSON reaches the results. {@link #split} turns a chunk reply into
 * one message per task, so the aggregator still counts tasks, not messages. What the checks need
 * from the ledger (the job row, which indexes already have a result) comes from the
 * {@link ReplyBuffer}, which reads it once per job and group commit, not once per reply.
 */
public class ReplyGate {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyGate.class);

    private final ReplyBuffer buffer;
    private final FarmMetrics metrics;
    private final ComputeCosts costs;

    /** @param costs learns each compute's cost from the replies inside reply batches */
    public ReplyGate(ReplyBuffer buffer, FarmMetrics metrics, ComputeCosts costs) {
        this.buffer = buffer;
        this.metrics = metrics;
        this.costs = costs;
    }

    /** One message per task the reply in the exchange answers (none if it cannot be told which). */
    public List<Message> split(Exchange exchange) {
        Message in = exchange.getMessage();
        List<Message> tasks = new ArrayList<>();
        add(tasks, exchange, read(in), in.getHeader(Wire.WORKER));
        return tasks;
    }

    /**
     * One message per task the replies of a reply batch answer ({@link ReplyBatches}), each reply
     * read as if it had come alone; a batch whose body cannot be read is dropped with a warning.
     */
    public List<Message> unbatch(Exchange exchange) {
        Message in = exchange.getMessage();
        List<ReplyBatches.Entry> entries = ReplyBatches.read(in.getHeader(Wire.REPLIES), in.getBody(byte[].class));
        if (entries == null) {
            metrics.replyMalformed(ReplyReading.UNATTRIBUTABLE);
            LOG.warn("Malformed reply batch from {} ({}={}): the body is not a JSON array of that many replies, dropped",
                    in.getHeader(Wire.WORKER), Wire.REPLIES, in.getHeader(Wire.REPLIES));
            return List.of();
        }
        metrics.replyBatch(entries.size());
        List<Message> tasks = new ArrayList<>(entries.size());
        Object worker = in.getHeader(Wire.WORKER);
        for (ReplyBatches.Entry e : entries) {
            costs.observe(e.headers());
            add(tasks, exchange, read(e.headers(), e.correlationId(), e.body()), worker);
        }
        return tasks;
    }

    private static void add(List<Message> tasks, Exchange exchange, ReplyReading.Reading reading, Object worker) {
        for (ReplyReading.TaskOutcome t : reading.tasks()) {
            Message m = new DefaultMessage(exchange.getContext());
            m.setHeader(Wire.WORKER, worker);
            apply(m, t);
            tasks.add(m);
        }
    }

    /** Reads the reply, logs and counts it when it is malformed. */
    private ReplyReading.Reading read(Message in) {
        return read(in.getHeaders(), in.getHeader(SpringRabbitMQConstants.CORRELATION_ID, String.class),
                in.getBody(byte[].class));
    }

    private ReplyReading.Reading read(Map<String, Object> headers, String correlationId, byte[] body) {
        ReplyReading.Reading reading = ReplyReading.read(headers, correlationId, body);
        if (reading.malformed()) {
            metrics.replyMalformed(reading.problem());
            LOG.warn("Malformed reply {} (headers {}): {}{}", correlationId,
                    contractHeaders(headers), reading.detail(), reading.tasks().isEmpty() ? ", dropped"
                            : ", recorded as failed for " + reading.tasks().size() + " task(s)");
        }
        return reading;
    }

    /** The message becomes the task's outcome: headers job id, index, status, error and a JSON body. */
    private static void apply(Message m, ReplyReading.TaskOutcome t) {
        m.setHeader(Wire.JOB_ID, t.jobId());
        m.setHeader(Wire.TASK_INDEX, t.index());
        m.setHeader(Wire.STATUS, t.ok() ? Wire.STATUS_OK : Wire.STATUS_ERROR);
        m.removeHeader(Wire.CHUNK_SIZE);
        if (t.ok()) {
            m.removeHeader(Wire.ERROR);
            m.setBody(t.result());
        } else {
            m.setHeader(Wire.ERROR, t.error());
            m.setBody(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("error", t.error())
                    .toString());
        }
        m.setHeader(SpringRabbitMQConstants.CORRELATION_ID, Wire.correlationId(t.jobId(), t.index()));
    }

    public void check(Exchange exchange) throws SQLException {
        Message in = exchange.getMessage();
        String verdict = exchange.getProperty(Exchange.SPLIT_INDEX) != null ? verdict(in) : readAndCheck(in);
        in.setHeader(Collect.VERDICT, verdict);
        if (verdict.startsWith("job ")) {
            // late replies of a cancelled or ended job: routine, counted (taskfarm_replies_dropped_total)
            LOG.debug("Dropped reply {}: {}", in.getHeader(SpringRabbitMQConstants.CORRELATION_ID), verdict);
        } else if (verdict.startsWith("duplicate")) {
            // a redelivery after a crash or a reconnect: expected, at most a few per fault
            LOG.info("Dropped reply {}: {}", in.getHeader(SpringRabbitMQConstants.CORRELATION_ID), verdict);
        } else if (!Collect.ACCEPT.equals(verdict)) {
            LOG.warn("Dropped reply {}: {}", in.getHeader(SpringRabbitMQConstants.CORRELATION_ID), verdict);
        }
    }

    /** A plain reply (one task, not split): read it in place, then the gate's checks. */
    private String readAndCheck(Message in) throws SQLException {
        ReplyReading.Reading reading = read(in);
        if (reading.tasks().size() != 1) {
            return "malformed: " + reading.detail();
        }
        apply(in, reading.tasks().get(0));
        return verdict(in);
    }

    private String verdict(Message in) throws SQLException {
        String jobId = in.getHeader(Wire.JOB_ID, String.class);
        int index = in.getHeader(Wire.TASK_INDEX, Integer.class);
        JobRow job = buffer.job(jobId);
        if (job == null) {
            return dropped("unknown-job", "unknown job " + jobId);
        }
        if (!job.isRunning()) {
            buffer.forget(jobId);
            return dropped("finished-job", "job " + jobId + " is " + job.status());
        }
        if (index < 0 || index >= job.total()) {
            return dropped("out-of-range", "index " + index + " out of range, job " + jobId + " has " + job.total() + " tasks");
        }
        if (buffer.hasResult(jobId, index)) {
            buffer.answeredAgain(jobId, index);
            return dropped("duplicate", "duplicate: task " + index + " of job " + jobId + " already has a result");
        }
        in.setHeader(Wire.TASK_COUNT, job.total());
        in.setHeader(Collect.TIMEOUT_MS, Math.max(1, job.deadlineAt() - System.currentTimeMillis()));
        return Collect.ACCEPT;
    }

    private String dropped(String reason, String verdict) {
        metrics.replyDropped(reason);
        return verdict;
    }

    private static String contractHeaders(Map<String, Object> headers) {
        StringBuilder sb = new StringBuilder("{");
        for (String name : new String[] {Wire.JOB_ID, Wire.TASK_INDEX, Wire.CHUNK_SIZE, Wire.STATUS, Wire.WIRE}) {
            Object v = headers.get(name);
            if (v != null) {
                sb.append(sb.length() > 1 ? ", " : "").append(name).append('=').append(v);
            }
        }
        return sb.append('}').toString();
    }
}
