package dev.taskfarm.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The deficit round robin that orders the refills of the jobs' windows. */
class WeightedRoundsTest {

    /** Grants until {@code total} messages were given, every job always having room. */
    static Map<String, Integer> share(WeightedRounds<String> rounds, Map<String, Integer> weights, int total) {
        Map<String, Integer> got = new HashMap<>();
        List<String> keys = new ArrayList<>(weights.keySet());
        int given = 0;
        while (given < total) {
            WeightedRounds.Grant<String> g = rounds.next(keys, weights::get, k -> 1_000_000);
            got.merge(g.key(), g.count(), Integer::sum);
            given += g.count();
        }
        return got;
    }

    @Test
    void jobsWithRoomGetMessagesInProportionToTheirWeights() {
        Map<String, Integer> weights = new java.util.LinkedHashMap<>();
        weights.put("a", 1);
        weights.put("b", 2);
        weights.put("c", 5);

        Map<String, Integer> got = share(new WeightedRounds<>(10), weights, 8000);

        assertThat(got.get("a")).isEqualTo(1000);
        assertThat(got.get("b")).isEqualTo(2000);
        assertThat(got.get("c")).isEqualTo(5000);
    }

    @Test
    void equalWeightsTakeTurnsSoNoJobWaitsMoreThanOneRound() {
        WeightedRounds<String> rounds = new WeightedRounds<>(4);
        List<String> keys = List.of("big", "small");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            order.add(rounds.next(keys, k -> 1, k -> 100).key());
        }
        assertThat(order).containsExactly("big", "small", "big", "small", "big", "small");
    }

    @Test
    void aHighWeightNeverStarvesALowOne() {
        WeightedRounds<String> rounds = new WeightedRounds<>(1);
        List<String> keys = List.of("vip", "bulk");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(rounds.next(keys, k -> k.equals("vip") ? 100 : 1, k -> 1000).key());
        }
        // the vip job gets 100 messages a turn, the bulk job 1: but it gets its turn every round
        assertThat(order).containsExactly("vip", "bulk", "vip", "bulk");
    }

    @Test
    void aJobWithoutRoomIsSkippedAndItsUnusedCreditDropped() {
        WeightedRounds<String> rounds = new WeightedRounds<>(10);
        Map<String, Integer> room = new HashMap<>(Map.of("full", 0, "open", 3));
        List<String> keys = List.of("full", "open");

        WeightedRounds.Grant<String> g = rounds.next(keys, k -> 1, room::get);
        assertThat(g).isEqualTo(new WeightedRounds.Grant<>("open", 3));
        room.put("open", 0);
        assertThat(rounds.next(keys, k -> 1, room::get)).isNull();
        // credit beyond the room is not banked: the next turn starts from one quantum again
        room.put("open", 100);
        assertThat(rounds.next(keys, k -> 1, room::get)).isEqualTo(new WeightedRounds.Grant<>("open", 10));
    }

    @Test
    void noJobsNoGrant() {
        assertThat(new WeightedRounds<String>(5).next(List.of(), k -> 1, k -> 1)).isNull();
    }
}
