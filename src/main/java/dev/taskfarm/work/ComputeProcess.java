package dev.taskfarm.work;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's compute process: runs tasks in a child JVM of the same class path
 * ({@link ComputeHost}), started on first use and replaced when it dies. A task past its time limit
 * ({@code taskfarm.task.timeout}) is interrupted there and fails; if it still runs
 * {@code taskfarm.task.kill-after} later (its compute ignores interruption), the child is killed,
 * which frees its CPU for good. The caller waits for one or the other, so its slot is free only
 * when the CPU is (and the next task of a chunk starts in a fresh child). The other tasks that were running in that child are not failed:
 * {@link ComputeProcessLostException} sends their requests back to the queue, and the next task
 * starts a fresh child.
 */
public class ComputeProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeProcess.class);

    private final List<String> command;
    /** How long a child JVM may take to start and load its computes. */
    private static final long START_TIMEOUT_MS = 60_000;

    private final long killAfterMs;
    private final AtomicLong ids = new AtomicLong();
    private Child child;
    private volatile boolean closed;

    /**
     * @param jvmOptions     options of the child JVM ({@code taskfarm.task.process-jvm-options})
     * @param permanent      the permanent error classes, as configured
     * @param killAfterMs    how long a stopped task may still run before its child is killed
     */
    public ComputeProcess(String jvmOptions, String permanent, long killAfterMs) {
        this(jvmOptions, permanent, killAfterMs, null);
    }

    /**
     * @param computesDir {@code taskfarm.computes.dir} (null or empty: none): its jars are on the
     *                    child's class path too, so custom computes run there as in the worker
     */
    public ComputeProcess(String jvmOptions, String permanent, long killAfterMs, String computesDir) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : jvmOptions.trim().split("\\s+")) {
            if (!option.isEmpty()) {
                cmd.add(option);
            }
        }
        StringBuilder cp = new StringBuilder(System.getProperty("java.class.path"));
        if (computesDir != null && !computesDir.isBlank()) {
            for (Path jar : dev.taskfarm.compute.ComputeJars.jars(Path.of(computesDir))) {
                cp.append(java.io.File.pathSeparator).append(jar.toAbsolutePath());
            }
        }
        cmd.addAll(List.of("-cp", cp.toString(), ComputeHost.class.getName(), permanent));
        this.command = List.copyOf(cmd);
        this.killAfterMs = killAfterMs;
    }

    /**
     * Runs one task of this compute in the child and returns its result JSON.
     *
     * @throws TaskRejectedException      the task ran past {@code timeoutMs}, or failed for good
     * @throws TaskFailedException        the compute threw an error worth retrying
     * @throws ComputeProcessLostException the child died or was killed while the task ran
     */
    public byte[] run(String compute, byte[] task, long timeoutMs, String label)
            throws TaskRejectedException, TaskFailedException, ComputeProcessLostException, InterruptedException {
        Child c = child();
        long id = ids.incrementAndGet();
        CompletableFuture<Done> done = c.submit(id, compute, task);
        Done d;
        try {
            d = done.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            c.stop(id, done, label);
            throw new TaskRejectedException("task ran longer than the task timeout of " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            c.interrupt(id);
            throw e;
        } catch (ExecutionException e) {
            throw (ComputeProcessLostException) e.getCause();
        }
        return switch (d.kind) {
            case ComputeHost.OK -> d.payload;
            case ComputeHost.PERMANENT -> throw new TaskRejectedException(new String(d.payload, StandardCharsets.UTF_8));
            case ComputeHost.STOPPED -> throw new TaskRejectedException("task interrupted in the compute process");
            default -> throw new TaskFailedException(new String(d.payload, StandardCharsets.UTF_8), null);
        };
    }

    /** The current child, started (and waited for) when there is none or it died. */
    private synchronized Child child() throws ComputeProcessLostException {
        if (closed) {
            throw new ComputeProcessLostException("the worker is stopping");
        }
        if (child == null || !child.process.isAlive()) {
            child = Child.start(command, START_TIMEOUT_MS, this);
        }
        return child;
    }

    private synchronized void forget(Child c) {
        if (child == c) {
            child = null;
        }
    }

    /** pid of the running child, or -1 (for health details and tests). */
    public synchronized long pid() {
        return child != null && child.process.isAlive() ? child.process.pid() : -1;
    }

    @Override
    public void close() {
        closed = true;
        Child c;
        synchronized (this) {
            c = child;
            child = null;
        }
        if (c != null) {
            c.process.destroyForcibly();
        }
    }

    private record Done(byte kind, byte[] payload) {
    }

    /** One child JVM: its pipes, the tasks running there, and the thread that reads its answers. */
    private static final class Child {
        final Process process;
        final ComputeProcess owner;
        final DataOutputStream out;
        final Map<Long, CompletableFuture<Done>> pending = new ConcurrentHashMap<>();
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        volatile String killedFor;

        private Child(Process process, ComputeProcess owner) {
            this.process = process;
            this.owner = owner;
            this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream()));
        }

        static Child start(List<String> command, long startTimeoutMs, ComputeProcess owner) throws ComputeProcessLostException {
            Process p;
            try {
                p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            } catch (IOException e) {
                throw new ComputeProcessLostException("cannot start the compute process: " + e.getMessage());
            }
            Child c = new Child(p, owner);
            Thread reader = new Thread(c::read, "taskfarm-compute-process-" + p.pid());
            reader.setDaemon(true);
            reader.start();
            try {
                c.ready.get(startTimeoutMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
                throw new ComputeProcessLostException("the compute process did not start: " + e);
            }
            LOG.info("Compute process started (pid {})", p.pid());
            return c;
        }

        CompletableFuture<Done> submit(long id, String compute, byte[] task) throws ComputeProcessLostException {
            CompletableFuture<Done> f = new CompletableFuture<>();
            pending.put(id, f);
            try {
                synchronized (out) {
                    out.writeByte(ComputeHost.RUN);
                    out.writeLong(id);
                    out.writeUTF(compute);
                    out.writeInt(task.length);
                    out.write(task);
                    out.flush();
                }
            } catch (IOException e) {
                pending.remove(id);
                throw new ComputeProcessLostException("the compute process is gone: " + e.getMessage());
            }
            return f;
        }

        /** Asks the child to interrupt the task; does not wait. */
        void interrupt(long id) {
            try {
                synchronized (out) {
                    out.writeByte(ComputeHost.STOP);
                    out.writeLong(id);
                    out.flush();
                }
            } catch (IOException e) {
                // the child is gone: so is the task
            }
        }

        /**
         * Interrupts the task and waits up to kill-after for it to end; kills the child if it does
         * not, so that when this returns the task no longer uses the CPU.
         */
        void stop(long id, CompletableFuture<Done> done, String label) throws InterruptedException {
            interrupt(id);
            try {
                done.get(owner.killAfterMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                kill("task " + label + " ignored interruption for " + owner.killAfterMs + " ms after its task timeout");
            } catch (ExecutionException e) {
                // the child died meanwhile
            }
        }

        void kill(String reason) {
            killedFor = reason;
            owner.forget(this);
            LOG.warn("Killing the compute process (pid {}): {}; {} other task(s) in it go back to the queue",
                    process.pid(), reason, Math.max(0, pending.size() - 1));
            process.destroyForcibly();
        }

        void read() {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(process.getInputStream()))) {
                if (in.readByte() != ComputeHost.READY) {
                    throw new IOException("unexpected first frame");
                }
                ready.complete(null);
                while (true) {
                    in.readByte();
                    long id = in.readLong();
                    byte kind = in.readByte();
                    byte[] payload = new byte[in.readInt()];
                    in.readFully(payload);
                    CompletableFuture<Done> f = pending.remove(id);
                    if (f != null) {
                        f.complete(new Done(kind, payload));
                    }
                }
            } catch (IOException end) {
                ready.completeExceptionally(end);
                lost();
            }
        }

        private void lost() {
            owner.forget(this);
            String why = killedFor != null ? "the compute process was killed (" + killedFor + ")"
                    : "the compute process exited" + exitCode();
            if (killedFor == null && !owner.closed) {
                LOG.warn("{} (pid {}); {} task(s) in it go back to the queue", why, process.pid(), pending.size());
            }
            for (Long id : List.copyOf(pending.keySet())) {
                CompletableFuture<Done> f = pending.remove(id);
                if (f != null) {
                    f.completeExceptionally(new ComputeProcessLostException(why));
                }
            }
        }

        private String exitCode() {
            try {
                return process.waitFor(1, TimeUnit.SECONDS) ? " with code " + process.exitValue() : "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
    }
}
