package dev.taskfarm.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {

    static ObjectNode job(int done, int total, int failed, double percent, double rate, Long eta) {
        ObjectNode j = JsonNodeFactory.instance.objectNode().put("done", done).put("total", total).put("failed", failed)
                .put("percent", percent).put("rate", rate);
        if (eta == null) {
            j.putNull("etaSeconds");
        } else {
            j.put("etaSeconds", eta);
        }
        return j;
    }

    @Test
    void barIsFilledInProportionWithCountsRateAndEta() {
        String bar = ProgressBar.render(job(512, 1000, 0, 51.2, 1543.25, 3L), 20);
        assertThat(bar).isEqualTo("[##########----------]  512/1000  51.2%  1543.3/s  ETA 0:03");
    }

    @Test
    void emptyFullAndUnknownEta() {
        assertThat(ProgressBar.render(job(0, 10, 0, 0, 0, null), 10)).startsWith("[----------]").endsWith("ETA ?");
        assertThat(ProgressBar.render(job(10, 10, 2, 100, 5, 0L), 10)).startsWith("[##########]")
                .contains("100.0%").endsWith("ETA 0:00  2 failed");
    }

    @Test
    void durationsReadLikeAClock() {
        assertThat(ProgressBar.duration(7)).isEqualTo("0:07");
        assertThat(ProgressBar.duration(750)).isEqualTo("12:30");
        assertThat(ProgressBar.duration(3723)).isEqualTo("1:02:03");
    }

    @Test
    void aLineFitsTheColumnsItIsGiven() {
        var wide = job(2452, 3000, 20, 81.7, 1134.9, 4L);
        assertThat(ProgressBar.fit(wide, 200)).startsWith("[" + "#".repeat(24) + "------]");
        assertThat(ProgressBar.fit(wide, 79)).hasSizeLessThanOrEqualTo(79).contains("2452/3000").endsWith("20 failed");
        assertThat(ProgressBar.fit(wide, 60)).hasSize(60).startsWith("[########--]");
        assertThat(ProgressBar.fit(wide, 55)).hasSize(55).startsWith("[####-]");
        assertThat(ProgressBar.fit(wide, 40)).hasSize(40).startsWith("[####-]");
        assertThat(ProgressBar.fit(job(1, 2, 0, 50, 1, 1L), 79)).startsWith("[" + "#".repeat(15) + "-".repeat(15) + "]");
    }
}
