package dev.taskfarm.dispatch;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Deficit round robin over the running jobs: turn by turn, in a fixed order, each job with room in
 * its window is credited {@code quantum * weight} messages and may send as many of them as its room
 * allows; credit it cannot use now is dropped (DRR resets the deficit of a job with nothing to send),
 * credit left over from a turn is kept for its next one. Over many turns every job that has room
 * gets messages in proportion to its weight (its priority), and no job, however low its weight, waits
 * more than one round: weighted shares, never strict priority (which starves big jobs).
 *
 * @param <K> the job key
 */
public final class WeightedRounds<K> {

    /** {@code count} messages for {@code key}. */
    public record Grant<K>(K key, int count) {
    }

    private final int quantum;
    private final Map<K, Long> deficit = new HashMap<>();
    private K last;

    /** @param quantum messages credited per unit of weight and turn (at least 1) */
    public WeightedRounds(int quantum) {
        this.quantum = Math.max(1, quantum);
    }

    /**
     * The next grant: the first job after the last one served, in {@code keys}' order, that has
     * room; null when none has.
     *
     * @param keys   the jobs, in a stable order
     * @param weight a job's weight (at least 1)
     * @param room   how many messages a job may send now
     */
    public Grant<K> next(List<K> keys, ToIntFunction<K> weight, ToIntFunction<K> room) {
        int n = keys.size();
        if (n == 0) {
            return null;
        }
        if (deficit.size() > n) {
            deficit.keySet().retainAll(keys);
        }
        int start = last == null ? 0 : (keys.indexOf(last) + 1) % n;
        for (int i = 0; i < n; i++) {
            K k = keys.get((start + i) % n);
            int r = room.applyAsInt(k);
            if (r <= 0) {
                deficit.remove(k);
                continue;
            }
            long d = deficit.getOrDefault(k, 0L) + (long) quantum * Math.max(1, weight.applyAsInt(k));
            int g = (int) Math.min(d, r);
            deficit.put(k, g == r ? 0 : d - g);
            last = k;
            return new Grant<>(k, g);
        }
        return null;
    }
}
