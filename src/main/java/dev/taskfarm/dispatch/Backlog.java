package dev.taskfarm.dispatch;

/**
 * The ready requests on a compute's queue, as last read from the broker: where the windows learn
 * whether a compute's queue runs empty ({@link Windows}).
 */
@FunctionalInterface
public interface Backlog {

    /** @return the reading (ready requests, and when it was read, ms), or null when unknown */
    Reading of(String compute);

    /**
     * @param ready    requests waiting on the compute's queue
     * @param at       when the queue was read (ms)
     * @param holdable request messages the compute's consumers can hold at once (their prefetch
     *                 together), 0 or less when unknown
     */
    record Reading(long ready, long at, long holdable) {
        public Reading(long ready, long at) {
            this(ready, at, -1);
        }
    }
}
