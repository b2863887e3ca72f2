package dev.taskfarm.work;

import org.junit.jupiter.api.Test;

import dev.taskfarm.compute.BadTaskException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PermanentErrorsTest {

    @Test
    void listedClassesAndTheirSubclassesAndBadTaskAreAlwaysPermanent() {
        PermanentErrors errors = new PermanentErrors("java.lang.IllegalArgumentException, java.io.UncheckedIOException");

        assertThat(errors.isPermanent(new NumberFormatException("x"))).isTrue();
        assertThat(errors.isPermanent(new java.io.UncheckedIOException(new java.io.IOException("x")))).isTrue();
        assertThat(errors.isPermanent(new BadTaskException("x"))).isTrue();
        assertThat(errors.isPermanent(new IllegalStateException("x"))).isFalse();
        assertThat(new PermanentErrors("").isPermanent(new IllegalArgumentException("x"))).isFalse();
        assertThat(new PermanentErrors("").isPermanent(new BadTaskException("x"))).isTrue();
    }

    @Test
    void aNameThatIsNoExceptionClassIsAClearError() {
        assertThatThrownBy(() -> new PermanentErrors("java.lang.String"))
                .hasMessageContaining("taskfarm.retry.permanent-errors: java.lang.String is not an exception class");
        assertThatThrownBy(() -> new PermanentErrors("com.example.Nope"))
                .hasMessageContaining("no class com.example.Nope on the class path");
    }
}
