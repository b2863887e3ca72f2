package dev.taskfarm.job;

/** The job input cannot be run; the message says why in words a user can act on. */
public class BadJobException extends Exception {

    public BadJobException(String message) {
        super(message);
    }

    public BadJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
