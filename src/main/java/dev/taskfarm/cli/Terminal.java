package dev.taskfarm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** What the CLI needs to know about the terminal it draws in. */
final class Terminal {

    static final int DEFAULT_COLUMNS = 80;

    private Terminal() {
    }

    /** Whether standard output is a terminal (Java 17: a console exists only when in and out are). */
    static boolean interactive() {
        return System.console() != null;
    }

    /** The terminal's width: $COLUMNS, else what {@code stty size} says, else 80. */
    static int columns() {
        Integer env = positive(System.getenv("COLUMNS"));
        if (env != null) {
            return env;
        }
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0 && out.matches("\\d+ \\d+")) {
                Integer cols = positive(out.split(" ")[1]);
                if (cols != null) {
                    return cols;
                }
            }
        } catch (IOException e) {
            // no stty: the default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_COLUMNS;
    }

    private static Integer positive(String s) {
        if (s == null || !s.matches("\\d{1,4}")) {
            return null;
        }
        int n = Integer.parseInt(s);
        return n > 0 ? n : null;
    }
}
