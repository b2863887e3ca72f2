package dev.taskfarm;

import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code taskfarm.publish.chunk-size}: auto (the default) or a number of tasks; anything else is refused. */
class ChunkingSettingsTest {

    static int chunkSize(String value) {
        DefaultCamelContext context = new DefaultCamelContext();
        // the defaults live in application.properties only
        Properties p = new Properties();
        try (var in = ChunkingSettingsTest.class.getResourceAsStream("/application.properties")) {
            p.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (value != null) {
            p.setProperty("taskfarm.publish.chunk-size", value);
        }
        context.getPropertiesComponent().setInitialProperties(p);
        return Chunking.defaultSize(new Settings(context));
    }

    @Test
    void autoIsTheDefaultAndANumberFixesTheSize() {
        assertThat(chunkSize(null)).isZero();
        assertThat(chunkSize("auto")).isZero();
        assertThat(chunkSize(" AUTO ")).isZero();
        assertThat(chunkSize("1")).isEqualTo(1);
        assertThat(chunkSize("100")).isEqualTo(100);
    }

    @Test
    void anythingElseFailsStartUpWithTheKeyAndTheValue() {
        for (String bad : new String[] {"0", "-3", "10001", "lots", "1.5"}) {
            assertThatThrownBy(() -> chunkSize(bad)).as(bad).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("taskfarm.publish.chunk-size must be auto or a number of tasks from 1 to 10000")
                    .hasMessageContaining("\"" + bad + "\"");
        }
    }
}
