package dev.taskfarm.work;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.metrics.FarmMetrics;
import dev.taskfarm.wire.Wire;

/**
 * Runs the compute a request names on the request body. The compute runs on its own thread so a
 * task that hangs is cut off after the task timeout (and interrupted) instead of holding the
 * worker forever.
 */
public class ComputeRunner implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ComputeRegistry computes;
    private final long taskTimeoutMs;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "taskfarm-compute");
        t.setDaemon(true);
        return t;
    });

    private final FarmMetrics metrics;

    public ComputeRunner(ComputeRegistry computes, long taskTimeoutMs, FarmMetrics metrics) {
        this.computes = computes;
        this.taskTimeoutMs = taskTimeoutMs;
        this.metrics = metrics;
    }

    /** Replaces the task body with the result JSON. */
    public void run(Exchange exchange) throws TaskFailedException, TaskRejectedException, InterruptedException {
        Message m = exchange.getMessage();
        String name = m.getHeader(Wire.COMPUTE, String.class);
        Compute compute = name == null ? null : computes.find(name);
        if (compute == null) {
            throw new TaskRejectedException("unknown compute \"" + name + "\" on this worker");
        }
        JsonNode task;
        try {
            task = MAPPER.readTree(m.getBody(byte[].class));
        } catch (Exception e) {
            throw new TaskRejectedException("the task body is not JSON: " + e.getMessage());
        }
        if (task == null || !task.isObject()) {
            throw new TaskRejectedException("the task body must be a JSON object");
        }
        long started = System.nanoTime();
        Future<JsonNode> future = pool.submit(() -> compute.compute(task));
        try {
            JsonNode result = future.get(taskTimeoutMs, TimeUnit.MILLISECONDS);
            metrics.taskDuration(System.nanoTime() - started);
            m.setBody(MAPPER.writeValueAsBytes(result));
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TaskRejectedException("task ran longer than the task timeout of " + taskTimeoutMs + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String msg = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new TaskFailedException(msg, cause);
        } catch (JsonProcessingException e) {
            throw new TaskFailedException("the result cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
