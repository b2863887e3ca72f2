package dev.taskfarm.work;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.taskfarm.compute.Compute;

/**
 * The worker's compute process: a child JVM of the same jar ({@link ComputeProcess} starts it)
 * that runs the tasks of computes which do not honour interruption, so that a task past its hard
 * time limit can be stopped for good by killing this process. It serves the computes found with
 * {@link ServiceLoader} on its class path (the worker's class path).
 *
 * <p>Frames on stdin: {@code 'R' id compute task} (run) and {@code 'S' id} (stop: interrupt).
 * Frames on stdout: {@code 'Y'} once ready, then one {@code 'D' id kind payload} per run, where
 * kind is {@link #OK} (payload: the result JSON), {@link #FAILED}, {@link #PERMANENT} or
 * {@link #STOPPED} (payload: the error text). Log output goes to stderr. When stdin ends (the
 * worker is gone) the process halts.
 */
public final class ComputeHost {

    static final byte RUN = 'R';
    static final byte STOP = 'S';
    static final byte READY = 'Y';
    static final byte DONE = 'D';
    static final byte OK = 0;
    static final byte FAILED = 1;
    static final byte PERMANENT = 2;
    static final byte STOPPED = 3;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, Compute> computes = new TreeMap<>();
    private final PermanentErrors permanent;
    private final DataOutputStream out;
    private final Map<Long, Future<?>> running = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "taskfarm-compute");
        t.setDaemon(true);
        return t;
    });

    private ComputeHost(PermanentErrors permanent, DataOutputStream out) {
        this.permanent = permanent;
        this.out = out;
        for (Compute c : ServiceLoader.load(Compute.class)) {
            computes.put(c.name(), c);
        }
    }

    /** @param args the permanent error classes ({@code taskfarm.retry.permanent-errors}) */
    public static void main(String[] args) throws IOException {
        // stdout carries the frames: anything printed (logs included) goes to stderr
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        ComputeHost host = new ComputeHost(new PermanentErrors(args.length > 0 ? args[0] : ""), out);
        try {
            host.serve(new DataInputStream(new BufferedInputStream(System.in)));
        } finally {
            // the worker closed the pipe (or died): stop at once, runaways included
            Runtime.getRuntime().halt(0);
        }
    }

    private void serve(DataInputStream in) throws IOException {
        synchronized (out) {
            out.writeByte(READY);
            out.flush();
        }
        try {
            while (true) {
                byte type = in.readByte();
                long id = in.readLong();
                if (type == STOP) {
                    Future<?> f = running.get(id);
                    if (f != null) {
                        f.cancel(true);
                    }
                    continue;
                }
                String name = in.readUTF();
                byte[] task = new byte[in.readInt()];
                in.readFully(task);
                running.put(id, pool.submit(() -> run(id, name, task)));
            }
        } catch (EOFException end) {
            // the worker is gone
        }
    }

    private void run(long id, String name, byte[] body) {
        byte kind;
        byte[] payload;
        try {
            Compute compute = computes.get(name);
            if (compute == null) {
                throw new BadTaskTypeException("unknown compute \"" + name + "\" in the compute process");
            }
            JsonNode task = MAPPER.readTree(body);
            payload = MAPPER.writeValueAsBytes(compute.compute(task));
            kind = OK;
        } catch (InterruptedException e) {
            kind = STOPPED;
            payload = bytes("interrupted");
        } catch (BadTaskTypeException e) {
            kind = PERMANENT;
            payload = bytes(e.getMessage());
        } catch (Exception | LinkageError | StackOverflowError e) {
            kind = permanent.isPermanent(e) ? PERMANENT : FAILED;
            payload = bytes(ComputeRunner.message(e));
        }
        running.remove(id);
        try {
            synchronized (out) {
                out.writeByte(DONE);
                out.writeLong(id);
                out.writeByte(kind);
                out.writeInt(payload.length);
                out.write(payload);
                out.flush();
            }
        } catch (IOException e) {
            Runtime.getRuntime().halt(0);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A task naming a compute this process does not have. */
    private static final class BadTaskTypeException extends Exception {
        BadTaskTypeException(String message) {
            super(message);
        }
    }
}
