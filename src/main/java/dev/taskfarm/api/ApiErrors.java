package dev.taskfarm.api;

import java.sql.SQLException;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.job.BadJobException;
import dev.taskfarm.job.JobExistsException;

import static dev.taskfarm.api.HttpMessages.JSON;
import static dev.taskfarm.api.HttpMessages.errorBody;
import static dev.taskfarm.api.HttpMessages.respond;

/**
 * The REST API's errors (routes/coordinator/13-rest-errors): the exception a route failed with
 * becomes a JSON error with the status that fits it. A client's mistake is a 4xx with the reason;
 * a broker or ledger that cannot be reached a 503 (try again); anything else a 500 that names no
 * internals, logged with its stack trace.
 */
public class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    /** The exception being handled becomes {@code {"error": "...", "status": n}}. */
    public void error(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        int status;
        String message;
        if (e instanceof ApiException api) {
            status = api.status();
            message = api.getMessage();
        } else if (e instanceof JobExistsException) {
            status = 409;
            message = e.getMessage();
        } else if (e instanceof BadJobException) {
            status = 400;
            message = e.getMessage();
        } else if (isBrokerFailure(e)) {
            status = 503;
            message = "the broker or the ledger is not reachable (" + e.getMessage() + "); try again with the same id";
            LOG.warn("{} failed: {}", exchange.getFromRouteId(), e.toString());
        } else {
            status = 500;
            message = "internal error: " + (e == null ? "unknown" : e.getClass().getSimpleName())
                    + "; see the coordinator log";
            LOG.error("{} failed", exchange.getFromRouteId(), e);
        }
        respond(exchange, status, errorBody(status, message), JSON);
        if (status == 413 || status == 408) {
            // the rest of the body was not read: do not reuse this connection
            exchange.getMessage().setHeader("Connection", "close");
        }
    }

    private static boolean isBrokerFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException || t instanceof org.springframework.amqp.AmqpException) {
                return true;
            }
        }
        return false;
    }
}
