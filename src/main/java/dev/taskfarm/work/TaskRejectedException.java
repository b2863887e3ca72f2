package dev.taskfarm.work;

/**
 * A task that retrying cannot fix: an unknown compute, a body that is not a JSON object, a task
 * that ran past its timeout, a compute error listed as permanent ({@link PermanentErrors}). The
 * worker replies with an error at once.
 */
public class TaskRejectedException extends Exception {

    public TaskRejectedException(String message) {
        super(message);
    }

    public TaskRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
