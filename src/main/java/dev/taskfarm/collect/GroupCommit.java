package dev.taskfarm.collect;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The collector route's last step ({@code process: {ref: groupCommit}}): asynchronous, it
 * completes the reply's exchange once the group commit made the reply's results durable (see
 * {@link ReplyBuffer}), so the consumer acknowledges the reply only then, and meanwhile takes the
 * next one.
 */
public class GroupCommit extends AsyncProcessorSupport {

    private final ReplyBuffer buffer;

    public GroupCommit(ReplyBuffer buffer) {
        this.buffer = buffer;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        buffer.whenDurable(exchange, callback);
        return false;
    }
}
