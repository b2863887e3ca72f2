package dev.taskfarm.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a request body to a temp file as it arrives, never holding more than about a megabyte in
 * memory, and refuses it with 413 as soon as it passes the size limit (before reading a byte when
 * the client announces a larger Content-Length). The REST route then hands the file to the same
 * job intake as the inbox.
 *
 * <p>The Vert.x request arrives paused (the REST endpoints run with {@code useBodyHandler=false},
 * so Vert.x does not buffer bodies itself). Its chunks are handed from the event loop to the route's
 * worker thread through a queue; the request is paused while the queue holds more than
 * {@link #HIGH_WATER} bytes, so a fast client cannot outrun the disk.
 */
public final class BodySpool {

    private static final Logger LOG = LoggerFactory.getLogger(BodySpool.class);
    static final long HIGH_WATER = 1024 * 1024;
    static final long LOW_WATER = 256 * 1024;
    /** After the limit is passed, this much more is read and dropped so the client still sees the 413. */
    static final long DRAIN_MAX = 16L * 1024 * 1024;
    private static final Object END = new Object();

    private final Path dir;
    private final long maxBytes;
    private final Duration idleTimeout;
    private final Duration uploadTimeout;
    private final int maxUploads;
    private final java.util.concurrent.Semaphore uploads;

    public BodySpool(Path dir, long maxBytes, Duration idleTimeout) {
        this(dir, maxBytes, idleTimeout, Duration.ofDays(1), Integer.MAX_VALUE);
    }

    /**
     * @param uploadTimeout a body must have arrived completely this long after the request
     *                      started (408 otherwise), however slowly it keeps trickling in
     * @param maxUploads    bodies spooled at once, at most: each holds an HTTP worker thread, so
     *                      the request above the limit gets 429 at once instead of a thread
     */
    public BodySpool(Path dir, long maxBytes, Duration idleTimeout, Duration uploadTimeout, int maxUploads) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.idleTimeout = idleTimeout;
        this.uploadTimeout = uploadTimeout;
        this.maxUploads = maxUploads;
        this.uploads = new java.util.concurrent.Semaphore(maxUploads);
    }

    /** Uploads being spooled right now. */
    public int uploadsInProgress() {
        return maxUploads - uploads.availablePermits();
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Path dir() {
        return dir;
    }

    /** Spools a Vert.x request, an InputStream or anything else Camel can turn into one. */
    public Path spool(Object body, Long contentLength) throws ApiException, IOException {
        if (!uploads.tryAcquire()) {
            throw new ApiException(429, "too many uploads in progress: at most " + maxUploads
                    + " job bodies are received at once (taskfarm.api.max-concurrent-uploads); retry later");
        }
        try {
            return spoolBody(body, contentLength, System.nanoTime() + uploadTimeout.toNanos());
        } finally {
            uploads.release();
        }
    }

    private Path spoolBody(Object body, Long contentLength, long deadline) throws ApiException, IOException {
        if (body instanceof HttpServerRequest request) {
            // a client that waits for 100-continue is refused before it sends a byte; one that is
            // already sending a body of a reasonable size is read to the end first (and the bytes
            // dropped), since many clients read no answer before they have sent everything
            boolean waits = "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
            if (contentLength != null && contentLength > maxBytes && (waits || contentLength > maxBytes + DRAIN_MAX)) {
                throw tooLarge();
            }
            return fromRequest(request, deadline);
        }
        if (contentLength != null && contentLength > maxBytes) {
            throw tooLarge();
        }
        if (body instanceof InputStream in) {
            return fromStream(in);
        }
        if (body == null) {
            return fromStream(InputStream.nullInputStream());
        }
        throw new IllegalArgumentException("cannot read a request body of type " + body.getClass().getName());
    }

    /** Copies a stream to a temp file, up to the limit. */
    Path fromStream(InputStream in) throws ApiException, IOException {
        Path file = newFile();
        boolean ok = false;
        try (in; OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge();
                }
                out.write(buf, 0, n);
            }
            ok = true;
            return file;
        } finally {
            if (!ok) {
                Files.deleteIfExists(file);
            }
        }
    }

    private Path fromRequest(HttpServerRequest request, long deadline) throws ApiException, IOException {
        Context context = Vertx.currentContext();
        BlockingQueue<Object> chunks = new LinkedBlockingQueue<>();
        AtomicLong queued = new AtomicLong();
        AtomicBoolean paused = new AtomicBoolean();
        Runnable start = () -> {
            request.handler(chunk -> {
                chunks.add(chunk);
                if (queued.addAndGet(chunk.length()) > HIGH_WATER && paused.compareAndSet(false, true)) {
                    request.pause();
                }
            });
            request.endHandler(v -> chunks.add(END));
            request.exceptionHandler(chunks::add);
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
                request.response().writeContinue();
            }
            request.resume();
        };
        Runnable resume = () -> {
            if (paused.compareAndSet(true, false)) {
                request.resume();
            }
        };
        onContext(context, start);

        Path file = newFile();
        boolean ok = false;
        try (OutputStream out = Files.newOutputStream(file)) {
            long total = 0;
            while (true) {
                Object next = take(chunks, deadline);
                if (next == END) {
                    break;
                }
                Buffer chunk = (Buffer) next;
                total += chunk.length();
                if (total > maxBytes) {
                    drain(chunks, context, queued, resume, deadline);
                    throw tooLarge();
                }
                out.write(chunk.getBytes());
                if (queued.addAndGet(-chunk.length()) < LOW_WATER && paused.get()) {
                    onContext(context, resume);
                }
            }
            ok = true;
            return file;
        } finally {
            if (!ok) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Reads and drops the rest of a body that is too large, so the client gets to read our 413. */
    private void drain(BlockingQueue<Object> chunks, Context context, AtomicLong queued, Runnable resume, long deadline) {
        long dropped = 0;
        try {
            while (dropped < DRAIN_MAX) {
                onContext(context, resume);
                Object next = take(chunks, deadline);
                if (next == END) {
                    return;
                }
                Buffer chunk = (Buffer) next;
                dropped += chunk.length();
                queued.addAndGet(-chunk.length());
            }
        } catch (ApiException | IOException e) {
            LOG.debug("Stopped draining an oversized request body: {}", e.getMessage());
        }
    }

    private Object take(BlockingQueue<Object> chunks, long deadline) throws ApiException, IOException {
        Object next;
        long left = deadline - System.nanoTime();
        try {
            next = chunks.poll(Math.min(idleTimeout.toNanos(), Math.max(0, left)), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the request body", e);
        }
        if (next != END && System.nanoTime() - deadline >= 0) {
            throw new ApiException(408, "the request body did not arrive within " + uploadTimeout.toSeconds()
                    + " s (taskfarm.api.upload-timeout): send it faster, or drop the file into the inbox");
        }
        if (next == null) {
            throw new ApiException(408, "the request body stalled: nothing received for " + idleTimeout.toSeconds() + " s");
        }
        if (next instanceof Throwable t) {
            throw new ApiException(400, "the request body could not be read: " + t.getMessage());
        }
        return next;
    }

    private static void onContext(Context context, Runnable action) {
        if (context == null) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    private Path newFile() throws IOException {
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "upload-", ".job");
    }

    private ApiException tooLarge() {
        return new ApiException(413, "the request body is larger than the limit of " + maxBytes
                + " bytes (taskfarm.api.max-body-bytes); for a larger job drop the file into the inbox");
    }

    /** Deletes spool files left behind by a crash (older than an hour). */
    public void cleanUp() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        long cutoff = System.currentTimeMillis() - 3_600_000;
        try (var files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().startsWith("upload-") || f.getFileName().toString().startsWith("results-"))
                    .filter(f -> f.toFile().lastModified() < cutoff)
                    .forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Cannot clean the spool directory {}: {}", dir, e.getMessage());
        }
    }
}
