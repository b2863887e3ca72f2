package dev.taskfarm.api;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class BodySpoolTest {

    @TempDir
    Path dir;

    @Test
    void aBodyWithinTheLimitIsWrittenToAFile() throws Exception {
        BodySpool spool = new BodySpool(dir, 100, Duration.ofSeconds(1));
        Path file = spool.spool(new ByteArrayInputStream("[{\"a\":1}]".getBytes(StandardCharsets.UTF_8)), null);
        assertThat(file).hasParent(dir).hasContent("[{\"a\":1}]");
    }

    @Test
    void aBodyOverTheLimitIs413AndLeavesNothing() {
        BodySpool spool = new BodySpool(dir, 100, Duration.ofSeconds(1));
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> spool.spool(new ByteArrayInputStream(new byte[101]), null));
        assertThat(e.status()).isEqualTo(413);
        assertThat(e.getMessage()).contains("limit of 100 bytes");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void anAnnouncedLengthOverTheLimitIsRefusedUnread() {
        BodySpool spool = new BodySpool(dir, 100, Duration.ofSeconds(1));
        InputStream unreadable = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        ApiException e = catchThrowableOfType(ApiException.class, () -> spool.spool(unreadable, 5000L));
        assertThat(e.status()).isEqualTo(413);
    }

    @Test
    void cleanUpRemovesOnlyOldSpoolFiles() throws Exception {
        BodySpool spool = new BodySpool(dir, 100, Duration.ofSeconds(1));
        Path old = Files.writeString(dir.resolve("upload-1.job"), "x");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path fresh = Files.writeString(dir.resolve("upload-2.job"), "x");
        Path other = Files.writeString(dir.resolve("keep.txt"), "x");
        Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

        spool.cleanUp();

        assertThat(old).doesNotExist();
        assertThat(fresh).exists();
        assertThat(other).exists();
    }
}
