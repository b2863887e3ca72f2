package dev.taskfarm.work;

/** A compute failed; the worker retries it (with backoff) before it replies with an error. */
public class TaskFailedException extends Exception {

    public TaskFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
