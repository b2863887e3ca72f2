package dev.taskfarm.work;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.Wire;

/**
 * Runs the compute a request names on the request body, so a task that hangs is cut off after the
 * task timeout (and interrupted) instead of holding the worker forever, and one that ignores the
 * interruption is stopped for good at the hard limit ({@link RunawayGuard}). A compute that
 * honours interruption runs a single task on the calling thread, the worker's slot, interrupted at
 * the timeout by {@link TaskTimeouts}; one that may not runs on a thread of its own, which the slot
 * leaves behind at the timeout, or in the worker's compute process.
 *
 * <p>A compute that throws is retried with backoff ({@link Retry}) unless its error is permanent;
 * then the exception says how the task failed. A chunked request (header {@code TaskfarmChunkSize},
 * body a JSON array of tasks) is run task by task; each task gets its own retries and its own
 * timeout, and the body becomes an array of
 * per-task outcomes, {@code {"status":"ok","result":...}} or {@code {"status":"error","error":"..."}},
 * so one failing task does not fail its chunk.
 */
public class ComputeRunner implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * The retry log, in a class of its own: the compute process loads ComputeRunner (for
     * {@link #message}) and must not start the logging system on its way (seconds of a cold JVM,
     * longer than a task's timeout; ComputeIsolationIT).
     */
    private static final class RetryLog {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ComputeRunner.class);
    }

    private final ComputeRegistry computes;
    private final long taskTimeoutMs;
    private final Retry retry;
    private final ExecutorService pool;

    private final FarmMetrics metrics;
    private final PermanentErrors permanent;
    private final RunawayGuard guard;
    private final TaskTimeouts timeouts;

    /**
     * Retries of a failing task, a single one or one inside a chunk ({@code taskfarm.retry.*}): the
     * only retries of a compute. The route's redelivery policy would run a whole chunk again, good
     * tasks included, and with any redelivery enabled Camel copies every exchange before it enters
     * the route (the worker's CPU per tiny task, docs/BENCHMARKS.md); so the worker route
     * redelivers nothing.
     *
     * @param max        retries after the first attempt
     * @param delayMs    delay before the first retry
     * @param backoff    multiplier of the delay per retry
     * @param maxDelayMs longest delay
     */
    public record Retry(int max, long delayMs, double backoff, long maxDelayMs) {
        public static final Retry NONE = new Retry(0, 0, 1, 0);

        long delay(int retry) {
            return (long) Math.min(maxDelayMs, delayMs * Math.pow(backoff, retry));
        }
    }

    /**
     * @param pool the threads computes run on (a cached pool of Camel's ExecutorServiceManager:
     *             daemon threads, so a compute that ignores the interrupt after its timeout never
     *             keeps the JVM from exiting); shut down now by {@link #close()}
     */
    public ComputeRunner(ComputeRegistry computes, long taskTimeoutMs, Retry retry, FarmMetrics metrics,
            PermanentErrors permanent, RunawayGuard guard, ExecutorService pool) {
        this.computes = computes;
        this.pool = pool;
        this.permanent = permanent;
        this.guard = guard;
        this.timeouts = new TaskTimeouts(taskTimeoutMs, guard);
        this.taskTimeoutMs = taskTimeoutMs;
        this.retry = retry;
        this.metrics = metrics;
    }

    /** Replaces the task body (or chunk of tasks) with the result JSON. */
    public void run(Exchange exchange)
            throws TaskFailedException, TaskRejectedException, ComputeProcessLostException, InterruptedException {
        Message m = exchange.getMessage();
        String name = m.getHeader(Wire.COMPUTE, String.class);
        Compute compute = name == null ? null : computes.find(name);
        if (compute == null) {
            throw new TaskRejectedException("unknown compute \"" + name + "\" on this worker");
        }
        Integer chunk = m.getHeader(Wire.CHUNK_SIZE, Integer.class);
        if (chunk != null) {
            runChunk(m, compute, chunk);
            return;
        }
        byte[] body = m.getBody(byte[].class);
        JsonNode task;
        try {
            task = MAPPER.readTree(body);
        } catch (Exception e) {
            throw new TaskRejectedException("the task body is not JSON: " + e.getMessage());
        }
        if (task == null || !task.isObject()) {
            throw new TaskRejectedException("the task body must be a JSON object");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                runOnce(m, compute, name, body, task);
                return;
            } catch (TaskFailedException e) {
                if (attempt >= retry.max()) {
                    throw e;
                }
                long delay = retry.delay(attempt);
                RetryLog.LOG.debug("Task {} failed (attempt {} of {}), retried in {} ms: {}", label(m, 0), attempt + 1,
                        retry.max() + 1, delay, e.getMessage());
                Thread.sleep(delay);
            }
        }
    }

    /** One attempt at a single task: the result in the body, or the exception that says how it failed. */
    private void runOnce(Message m, Compute compute, String name, byte[] body, JsonNode task)
            throws TaskFailedException, TaskRejectedException, ComputeProcessLostException, InterruptedException {
        long started = System.nanoTime();
        if (guard.isolated(compute)) {
            byte[] result = guard.process().run(name, body, taskTimeoutMs, label(m, 0));
            long took = System.nanoTime() - started;
            metrics.taskDuration(took);
            m.setHeader(Wire.COMPUTE_MICROS, took / 1000);
            m.setBody(result);
            return;
        }
        long[] computeNanos = new long[1]; // the compute alone (no hand-off, no queueing)
        JsonNode result = compute.honoursInterrupt() ? computeHere(m, compute, task, computeNanos)
                : computeOnPool(m, compute, task, computeNanos);
        metrics.taskDuration(System.nanoTime() - started);
        m.setHeader(Wire.COMPUTE_MICROS, computeNanos[0] / 1000);
        try {
            m.setBody(MAPPER.writeValueAsBytes(result));
        } catch (JsonProcessingException e) {
            // the same result again would fail the same way: not retried
            throw new TaskRejectedException("the result cannot be written as JSON: " + e.getMessage());
        }
    }

    /**
     * A compute that honours interruption, on the calling thread (the slot): interrupted at the
     * task timeout by {@link TaskTimeouts}, without a thread hand-over each way.
     */
    private JsonNode computeHere(Message m, Compute compute, JsonNode task, long[] computeNanos)
            throws TaskFailedException, TaskRejectedException, InterruptedException {
        TaskTimeouts.Running running = timeouts.start(() -> label(m, 0));
        long t0 = System.nanoTime();
        JsonNode result = null;
        Throwable failure = null;
        try {
            result = compute.compute(task);
        } catch (Throwable e) {
            failure = e;
        }
        computeNanos[0] = System.nanoTime() - t0;
        if (running.finish()) {
            throw timedOut();
        }
        if (failure instanceof InterruptedException) {
            // not the timeout's: the worker is stopping, and the request goes back to its queue
            Thread.currentThread().interrupt();
            throw (InterruptedException) failure;
        }
        if (failure != null) {
            throw failed(failure);
        }
        return result;
    }

    /**
     * A compute that may ignore interruption, on a thread of its own: after the timeout the slot
     * moves on, and the guard watches the thread it leaves behind.
     */
    private JsonNode computeOnPool(Message m, Compute compute, JsonNode task, long[] computeNanos)
            throws TaskFailedException, TaskRejectedException, InterruptedException {
        AtomicReference<Thread> runner = new AtomicReference<>();
        Future<JsonNode> future = pool.submit(RunawayGuard.tracked(runner, () -> {
            long t0 = System.nanoTime();
            try {
                return compute.compute(task);
            } finally {
                computeNanos[0] = System.nanoTime() - t0;
            }
        }));
        try {
            return future.get(taskTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            guard.watch(runner, label(m, 0));
            throw timedOut();
        } catch (ExecutionException e) {
            throw failed(e.getCause());
        }
    }

    private TaskRejectedException timedOut() {
        return new TaskRejectedException("task ran longer than the task timeout of " + taskTimeoutMs + " ms");
    }

    /** A compute's exception: permanent (thrown here, not retried), or a failure worth retrying. */
    private TaskFailedException failed(Throwable cause) throws TaskRejectedException {
        if (permanent.isPermanent(cause)) {
            throw new TaskRejectedException(message(cause), cause);
        }
        return new TaskFailedException(message(cause), cause);
    }

    /** "job:index" of the request's task, or of the task at this offset of its chunk, for log lines. */
    private static String label(Message m, int offset) {
        Integer first = m.getHeader(Wire.TASK_INDEX, Integer.class);
        return m.getHeader(Wire.JOB_ID, String.class) + ":" + (first == null ? "?" : first + offset);
    }

    private void runChunk(Message m, Compute compute, int size)
            throws TaskRejectedException, ComputeProcessLostException, InterruptedException {
        JsonNode tasks;
        try {
            tasks = MAPPER.readTree(m.getBody(byte[].class));
        } catch (Exception e) {
            throw new TaskRejectedException("the chunk body is not JSON: " + e.getMessage());
        }
        if (tasks == null || !tasks.isArray() || tasks.size() != size) {
            throw new TaskRejectedException("a chunked request body must be a JSON array of " + Wire.CHUNK_SIZE + "="
                    + size + " tasks");
        }
        AtomicReferenceArray<JsonNode> out = new AtomicReferenceArray<>(size);
        AtomicLong computeNanos = new AtomicLong();
        if (guard.isolated(compute)) {
            long started = System.nanoTime();
            for (int i = 0; i < size; i++) {
                out.set(i, isolatedOutcome(compute, tasks.get(i), label(m, i)));
            }
            computeNanos.set(System.nanoTime() - started);
        } else {
            runChunkOnThreads(m, compute, tasks, out, computeNanos);
        }
        m.setHeader(Wire.COMPUTE_MICROS, computeNanos.get() / 1000);
        ArrayNode body = MAPPER.createArrayNode();
        for (int i = 0; i < size; i++) {
            body.add(out.get(i));
        }
        try {
            m.setBody(MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new TaskRejectedException("the chunk's results cannot be written as JSON: " + e.getMessage());
        }
    }

    private void runChunkOnThreads(Message m, Compute compute, JsonNode tasks, AtomicReferenceArray<JsonNode> out,
            AtomicLong computeNanos) throws InterruptedException {
        int size = out.length();
        AtomicInteger current = new AtomicInteger();
        AtomicLong attemptStarted = new AtomicLong();
        int next = 0;
        while (next < size) {
            int from = next;
            current.set(from);
            attemptStarted.set(System.nanoTime());
            AtomicReference<Thread> runner = new AtomicReference<>();
            Future<?> future = pool.submit(RunawayGuard.tracked(runner, () -> {
                for (int i = from; i < size && !Thread.currentThread().isInterrupted(); i++) {
                    current.set(i);
                    out.compareAndSet(i, null, outcome(compute, tasks.get(i), attemptStarted, computeNanos));
                }
                return null;
            }));
            next = size;
            while (true) {
                long waited = (System.nanoTime() - attemptStarted.get()) / 1_000_000;
                try {
                    future.get(Math.max(1, taskTimeoutMs - waited), TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if ((System.nanoTime() - attemptStarted.get()) / 1_000_000 >= taskTimeoutMs) {
                        int stuck = current.get();
                        // the timeout is the task's outcome, set before the interrupt, which the
                        // compute answers with an InterruptedException ("interrupted") of its own
                        out.compareAndSet(stuck, null, errorOutcome("task ran longer than the task timeout of "
                                + taskTimeoutMs + " ms"));
                        future.cancel(true);
                        guard.watch(runner, label(m, stuck));
                        next = stuck + 1;
                        break;
                    }
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        }
    }

    /** One task of a chunk in the compute process, with retries; a lost process requeues the whole chunk. */
    private JsonNode isolatedOutcome(Compute compute, JsonNode task, String label)
            throws ComputeProcessLostException, InterruptedException {
        if (task == null || !task.isObject()) {
            return errorOutcome("the task body must be a JSON object");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                ObjectNode ok = MAPPER.createObjectNode().put("status", Wire.STATUS_OK);
                ok.set("result", MAPPER.readTree(guard.process().run(compute.name(), MAPPER.writeValueAsBytes(task),
                        taskTimeoutMs, label)));
                return ok;
            } catch (TaskRejectedException e) {
                return errorOutcome(e.getMessage());
            } catch (TaskFailedException e) {
                if (attempt >= retry.max()) {
                    return errorOutcome(e.getMessage());
                }
                Thread.sleep(retry.delay(attempt));
            } catch (java.io.IOException e) {
                return errorOutcome("the result is not JSON: " + e.getMessage());
            }
        }
    }

    /**
     * One task of a chunk, with retries: {"status":"ok","result":...} or {"status":"error","error":...};
     * its compute time (every attempt, not the delays between them) is added to {@code computeNanos}.
     */
    private JsonNode outcome(Compute compute, JsonNode task, AtomicLong attemptStarted, AtomicLong computeNanos) {
        if (task == null || !task.isObject()) {
            return errorOutcome("the task body must be a JSON object");
        }
        for (int attempt = 0; ; attempt++) {
            long started = System.nanoTime();
            attemptStarted.set(started);
            try {
                ObjectNode ok = MAPPER.createObjectNode().put("status", Wire.STATUS_OK);
                try {
                    ok.set("result", compute.compute(task));
                } finally {
                    computeNanos.addAndGet(System.nanoTime() - started);
                }
                return ok;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return errorOutcome("interrupted");
            } catch (Exception e) {
                if (attempt >= retry.max() || permanent.isPermanent(e)) {
                    return errorOutcome(message(e));
                }
                try {
                    Thread.sleep(retry.delay(attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return errorOutcome("interrupted");
                }
            }
        }
    }

    /** The error text of a failed task: the exception's message, or its class name. */
    static String message(Throwable error) {
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }

    private static JsonNode errorOutcome(String message) {
        return MAPPER.createObjectNode().put("status", Wire.STATUS_ERROR).put("error", message);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
