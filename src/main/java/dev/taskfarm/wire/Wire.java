package dev.taskfarm.wire;

/**
 * Names of the wire contract (docs/WIRE.md). Camel header names and AMQP header names are the
 * same strings, so a route, a log line and a message dump all read alike.
 */
public final class Wire {

    /** Job the task belongs to (string). */
    public static final String JOB_ID = "TaskfarmJobId";
    /** Position of the task in the job, 0-based (int). */
    public static final String TASK_INDEX = "TaskfarmTaskIndex";
    /** Number of tasks in the job (int). */
    public static final String TASK_COUNT = "TaskfarmTaskCount";
    /** Name of the compute to run (string). */
    public static final String COMPUTE = "TaskfarmCompute";
    /** How many times the coordinator has published this task (int, 1 on the first publish). */
    public static final String ATTEMPT = "TaskfarmAttempt";
    /** Reply outcome: {@link #STATUS_OK} or {@link #STATUS_ERROR}. */
    public static final String STATUS = "TaskfarmStatus";
    /** Reply error text, present when the status is error. */
    public static final String ERROR = "TaskfarmError";
    /**
     * Opt-in chunking (int, absent = 1): the request body is a JSON array of this many tasks, the
     * first of which has index {@link #TASK_INDEX}; the reply body is an array of as many per-task
     * outcomes. See docs/WIRE.md, "Chunked requests".
     */
    public static final String CHUNK_SIZE = "TaskfarmChunkSize";
    /**
     * Reply (optional, long): microseconds the worker spent computing the reply's tasks (all of a
     * chunk's tasks together). The coordinator sizes automatic chunks from it (docs/WIRE.md).
     */
    public static final String COMPUTE_MICROS = "TaskfarmComputeMicros";
    /**
     * Request (optional, int): the coordinator reads reply batches of up to this many replies, so
     * a worker may combine the replies to such requests that are ready together (docs/WIRE.md,
     * "Reply batches"). Absent: every reply goes alone.
     */
    public static final String REPLY_BATCH = "TaskfarmReplyBatch";
    /** A reply batch (int): the message carries this many replies, see {@link ReplyBatches}. */
    public static final String REPLIES = "TaskfarmReplies";
    /** Host or pod that produced the reply (informational). */
    public static final String WORKER = "TaskfarmWorker";

    /**
     * Version of the wire contract a message follows (int). Requests and replies of taskfarm
     * carry {@link #WIRE_VERSION}; a reply without it is read as version 1.
     */
    public static final String WIRE = "TaskfarmWire";
    public static final int WIRE_VERSION = 1;
    /** Longest error text the coordinator records; longer texts are cut to their first this-many characters. */
    public static final int MAX_ERROR = 1000;

    public static final String STATUS_OK = "ok";
    public static final String STATUS_ERROR = "error";

    public static final String CONTENT_TYPE_JSON = "application/json";

    private Wire() {
    }

    /** The AMQP correlation id of a task: {@code <jobId>:<index>}. */
    public static String correlationId(String jobId, int index) {
        return jobId + ":" + index;
    }

    /** The AMQP correlation id of a chunk: {@code <jobId>:<first>+<size>}. */
    public static String correlationId(String jobId, int first, int size) {
        return size == 1 ? correlationId(jobId, first) : jobId + ":" + first + "+" + size;
    }
}
