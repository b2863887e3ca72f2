package dev.taskfarm.api;

/**
 * A request the API refuses, with the HTTP status to answer and a message for the caller. The
 * REST routes turn it into {@code {"error": "..."}} with that status.
 */
public class ApiException extends Exception {

    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
