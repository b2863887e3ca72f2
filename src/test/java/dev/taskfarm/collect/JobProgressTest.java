package dev.taskfarm.collect;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.taskfarm.metrics.FarmMetrics;

import static org.assertj.core.api.Assertions.assertThat;

class JobProgressTest {

    final List<String> lines = new CopyOnWriteArrayList<>();
    final AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            lines.add(event.getMessage().getFormattedMessage());
        }
    };
    final Logger logger = (Logger) LogManager.getLogger("taskfarm.progress");

    @BeforeEach
    void capture() {
        capture.start();
        logger.addAppender(capture);
    }

    @AfterEach
    void release() {
        logger.removeAppender(capture);
    }

    static JobProgress progress(long intervalMs) {
        return new JobProgress(intervalMs, new FarmMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Duration.ofMinutes(5)));
    }

    @Test
    void rateAndEtaFromCountsAndTime() {
        assertThat(JobProgress.rate(50, 0, 10_000)).isEqualTo(5.0);
        assertThat(JobProgress.etaSeconds(100, 50, 5.0)).isEqualTo(10);
        assertThat(JobProgress.etaSeconds(100, 0, 0)).isEqualTo(-1);
        assertThat(JobProgress.etaSeconds(100, 100, 0)).isZero();
    }

    @Test
    void progressIsLoggedAtMostOncePerInterval() {
        JobProgress throttled = progress(3_600_000);
        throttled.track("slow-log", 1000, 0, 0, System.currentTimeMillis() - 1000);
        for (int i = 0; i < 500; i++) {
            throttled.onResult("slow-log", i, true);
        }
        assertThat(lines).isEmpty();

        JobProgress every = progress(0);
        every.track("every-log", 10, 0, 0, System.currentTimeMillis() - 1000);
        every.onResult("every-log", 0, true);
        every.onResult("every-log", 1, false);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).startsWith("Job every-log: 2/10 done (20%), 1 failed,").contains("/s, ETA ");
        assertThat(every.get("every-log").done()).isEqualTo(2);
        assertThat(every.get("every-log").failed()).isEqualTo(1);
    }
}
