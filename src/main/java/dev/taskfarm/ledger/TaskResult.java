package dev.taskfarm.ledger;

/**
 * The outcome of one task.
 *
 * @param index  task index
 * @param ok     whether the compute succeeded
 * @param result result JSON text (when ok)
 * @param error  error text (when not ok)
 * @param worker who produced it, may be null
 */
public record TaskResult(int index, boolean ok, String result, String error, String worker) {
}
