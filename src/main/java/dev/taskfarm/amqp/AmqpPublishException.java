package dev.taskfarm.amqp;

/** A publish the broker rejected, or whose channel closed before the broker confirmed it. */
public class AmqpPublishException extends Exception {

    public AmqpPublishException(String message) {
        super(message);
    }
}
