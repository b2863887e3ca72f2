package dev.taskfarm.compute;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A compute turns one task into one result. Implementations must be thread safe: a worker runs
 * several tasks at once. Throwing fails the task with the exception's message as the error text:
 * at once for a {@link BadTaskException} or an {@link IllegalArgumentException} (errors retrying
 * cannot fix, {@code taskfarm.retry.permanent-errors}), after the configured retries otherwise.
 *
 * <p>Add your own by listing the class in {@code META-INF/services/dev.taskfarm.compute.Compute}
 * on the classpath, or by declaring a bean that implements this interface in a YAML route file.
 */
public interface Compute {

    /** The name jobs use to pick this compute ({@code "compute": "<name>"}). */
    String name();

    /** Computes the result of one task; the task is the JSON object from the job file. */
    JsonNode compute(JsonNode task) throws Exception;

    /**
     * Checks one task when its job is submitted, before anything of the job is published: throw an
     * {@link IllegalArgumentException} saying what is wrong and the whole job is refused (REST 400,
     * inbox file to inbox/.error) with the index of the first bad task. The default accepts every
     * task; such a compute reports bad tasks when it runs them. Must be cheap and thread safe.
     */
    default void validate(JsonNode task) {
    }

    /**
     * Whether this compute stops soon after its thread is interrupted (it checks
     * {@link Thread#isInterrupted()} in its loops, or blocks only in interruptible calls, and then
     * throws {@link InterruptedException}). Such a compute runs on a thread of the worker; one that
     * does not say so runs in the worker's compute process, which is killed and replaced when a
     * task outlives its hard time limit ({@code taskfarm.task.isolation}, docs/DESIGN-NOTES.md).
     */
    default boolean honoursInterrupt() {
        return false;
    }
}
