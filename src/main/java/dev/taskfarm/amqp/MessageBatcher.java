package dev.taskfarm.amqp;

import java.util.List;

/**
 * How a {@code taskfarm-amqp} producer with the {@code batcher} option combines messages that are
 * ready together into one (see {@link Coalescer}). The component knows nothing of what the
 * messages mean; the batcher does (taskfarm's is {@code dev.taskfarm.wire.ReplyBatches}).
 */
public interface MessageBatcher {

    /** At most this many messages may travel together with this one; 1 or less: always alone. */
    int limit(AmqpMessage message);

    /** One message that carries these ones (two or more, all for the same routing key). */
    AmqpMessage combine(List<AmqpMessage> messages);
}
