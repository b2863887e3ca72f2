package dev.taskfarm.chunk;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sizing rule of adaptive chunking (5 ms of work per message, at least 4 messages per slot). */
class ChunkSizerTest {

    final ChunkSizer sizer = new ChunkSizer(5_000, 4, 10_000);

    @Test
    void tinyTasksAreChunkedButEverySlotKeepsAtLeastFourMessages() {
        // 2 us tasks: 5 ms of work would be 2500 tasks, but 20000 tasks on 8 slots allow 625 per message
        assertThat(sizer.size(2.0, 20_000, 8)).isEqualTo(625);
        // a big job: the work per message decides
        assertThat(sizer.size(2.0, 1_000_000, 8)).isEqualTo(2500);
        assertThat(sizer.size(100.0, 1_000_000, 8)).isEqualTo(50);
    }

    @Test
    void tasksOfAFewMillisecondsOrMoreTravelAlone() {
        assertThat(sizer.size(3_000, 100_000, 8)).isEqualTo(1);
        assertThat(sizer.size(20_000, 100_000, 8)).isEqualTo(1);
        assertThat(sizer.size(2_000, 100_000, 8)).isEqualTo(2);
    }

    @Test
    void anUnknownCostMeansOneTaskPerMessage() {
        assertThat(sizer.size(Double.NaN, 100_000, 8)).isEqualTo(1);
    }

    @Test
    void neverMoreThanTheWireLimitOrTheTasksLeft() {
        assertThat(sizer.size(0.0001, 100_000_000, 1)).isEqualTo(10_000);
        assertThat(sizer.size(1.0, 3, 1)).isEqualTo(1);
        assertThat(sizer.size(1.0, 1, 1)).isEqualTo(1);
        assertThat(sizer.size(1.0, 0, 1)).isEqualTo(1);
    }

    @Test
    void aWholeJobEndsInSmallMessagesAndCoversEveryTaskOnce() {
        List<Integer> sizes = new ArrayList<>();
        int remaining = 20_000;
        while (remaining > 0) {
            int s = sizer.size(2.0, remaining, 8);
            sizes.add(s);
            remaining -= s;
        }
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(20_000);
        assertThat(sizes.get(0)).isEqualTo(625);
        assertThat(sizes).isSortedAccordingTo((a, b) -> Integer.compare(b, a));
        // the last 32 messages (4 per slot) each hold at most 1/32 of what was left: the tail is tiny
        assertThat(sizes.subList(sizes.size() - 32, sizes.size())).allMatch(s -> s == 1);
        assertThat(sizes.size()).isBetween(32, 400);
    }

    @Test
    void refusesNonsenseSettings() {
        assertThatThrownBy(() -> new ChunkSizer(0, 4, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChunkSizer(5000, 0, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
