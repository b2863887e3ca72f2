package dev.taskfarm.compute;

/**
 * Thrown by a compute for a task that can never succeed (a missing or invalid field, say): the
 * task fails at once with this message, without the retries an error that may go away gets.
 * {@link IllegalArgumentException} is treated the same way by default
 * ({@code taskfarm.retry.permanent-errors}).
 */
public class BadTaskException extends RuntimeException {

    public BadTaskException(String message) {
        super(message);
    }

    public BadTaskException(String message, Throwable cause) {
        super(message, cause);
    }
}
