package dev.taskfarm.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A real terminal for a command: a detached tmux session of a given size. The screen is read with
 * {@code capture-pane}, keys are sent with {@code send-keys}; closing kills the session.
 */
public final class Tmux implements AutoCloseable {

    private final String session = "taskfarm-test-" + UUID.randomUUID().toString().substring(0, 8);

    /** Starts {@code command} (a shell command line) in a terminal of columns x rows. */
    public Tmux(int columns, int rows, String command) throws IOException, InterruptedException {
        run("new-session", "-d", "-s", session, "-x", String.valueOf(columns), "-y", String.valueOf(rows), command);
        // keep the pane (and what it shows) after the command ends
        run("set-option", "-t", session, "remain-on-exit", "on");
    }

    /** The visible screen, one string per row, trailing blanks removed. */
    public List<String> screen() throws IOException, InterruptedException {
        return run("capture-pane", "-p", "-t", session).lines().map(String::stripTrailing).toList();
    }

    public String text() throws IOException, InterruptedException {
        return String.join("\n", screen());
    }

    public void keys(String... keys) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("kill-session", "-t", session);
    }

    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tmux"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }
}
