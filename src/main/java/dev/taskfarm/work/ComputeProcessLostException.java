package dev.taskfarm.work;

/**
 * The compute process died or was killed (another task there outlived its hard time limit) while
 * this task ran in it: not the task's fault, so its request goes back to the queue
 * ({@code worker-errors}) and runs again, in a fresh compute process.
 */
public class ComputeProcessLostException extends Exception {

    public ComputeProcessLostException(String message) {
        super(message);
    }
}
