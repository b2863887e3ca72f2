package dev.taskfarm.collect;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;

import dev.taskfarm.ledger.TaskResult;
import dev.taskfarm.wire.Wire;

/**
 * Folds one reply into a job's aggregate. The aggregate is a small handle (see
 * {@link LedgerAggregationRepository}); the reply becomes a pending result that the repository
 * records as one ledger row, so the aggregate never grows with the job.
 */
public class ResultAggregation implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange aggregate, Exchange reply) {
        // returning the aggregate (not the reply) keeps the exchange id stable for recovery
        Exchange target = aggregate != null ? aggregate : reply;
        String close = reply.getMessage().getHeader(Collect.CLOSE, String.class);
        if (close != null) {
            target.setProperty(Collect.CLOSE_REASON, close);
            target.setProperty(ExchangePropertyKey.AGGREGATION_COMPLETE_CURRENT_GROUP, true);
        } else {
            target.setProperty(Collect.PENDING_RESULT, toResult(reply));
        }
        return target;
    }

    static TaskResult toResult(Exchange reply) {
        var in = reply.getMessage();
        int index = in.getHeader(Wire.TASK_INDEX, Integer.class);
        boolean ok = Wire.STATUS_OK.equals(in.getHeader(Wire.STATUS, String.class));
        String body = in.getBody(String.class);
        String error = ok ? null : in.getHeader(Wire.ERROR, "error reply without a message", String.class);
        return new TaskResult(index, ok, ok ? body : null, error, in.getHeader(Wire.WORKER, String.class));
    }
}
