package dev.taskfarm;

import java.nio.file.NoSuchFileException;

import org.apache.camel.RuntimeCamelException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Start-up failures with a known cause are said in one line. */
class StartupFailuresTest {

    @Test
    void aMissingRoutesDirectorySaysWhereToRunFrom() {
        // what Camel Main throws when the jar runs outside the project directory
        RuntimeCamelException e = new RuntimeCamelException(new NoSuchFileException("routes/coordinator"));

        assertThat(StartupFailures.explain(e)).hasValueSatisfying(line -> assertThat(line)
                .startsWith("no routes in /").contains("routes/coordinator")
                .contains("run it from the project's directory").contains("TASKFARM_ROUTES"));
    }

    @Test
    void anotherMissingFileIsNotExplainedAsTheRoutes() {
        assertThat(StartupFailures.explain(new RuntimeCamelException(new NoSuchFileException("inbox/job.json"))))
                .isEmpty();
    }
}
