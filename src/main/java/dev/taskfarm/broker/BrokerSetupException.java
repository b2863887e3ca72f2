package dev.taskfarm.broker;

/**
 * The broker settings cannot work (a malformed URL, a refused login, no broker within the wait):
 * an expected start-up failure, reported as one line without a stack trace.
 */
public class BrokerSetupException extends IllegalStateException {

    public BrokerSetupException(String message) {
        super(message);
    }
}
