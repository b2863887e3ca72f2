package dev.taskfarm.amqp;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;

/**
 * The publishes of one exchange: the exchange completes once every publish is confirmed, or fails
 * as soon as one is rejected or cannot be sent. It completes on the producer's completion thread,
 * never on the connection's I/O thread that delivers the confirms (the route continues there, and
 * may publish again).
 */
final class Outcome implements Settlement {


    private final Exchange exchange;
    private final AsyncCallback callback;
    private final Executor completions;
    private final AtomicInteger awaited;
    private final AtomicBoolean done = new AtomicBoolean();

    Outcome(Exchange exchange, AsyncCallback callback, Executor completions, int publishes) {
        this.exchange = exchange;
        this.callback = callback;
        this.completions = completions;
        this.awaited = new AtomicInteger(publishes);
    }

    @Override
    public void confirmed(boolean ack, String cause) {
        if (!ack) {
            fail(new AmqpPublishException("the broker did not confirm a publish"
                    + (cause == null ? "" : " (" + cause + ")")));
        } else if (awaited.decrementAndGet() == 0) {
            complete(null);
        }
    }

    @Override
    public void fail(Exception e) {
        complete(e);
    }

    private void complete(Exception failure) {
        if (done.compareAndSet(false, true)) {
            completions.execute(() -> {
                if (failure != null) {
                    exchange.setException(failure);
                }
                callback.done(false);
            });
        }
    }
}
