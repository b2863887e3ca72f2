package dev.taskfarm.cli;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/** Renders a job's progress (as GET /jobs/{id} reports it) as one line of text. */
public final class ProgressBar {

    private ProgressBar() {
    }

    /** {@code [##########----------]   512/1000  51.2%  1543.2/s  ETA 0:03  2 failed} */
    public static String render(JsonNode job, int width) {
        int total = job.path("total").asInt();
        int done = job.path("done").asInt();
        int failed = job.path("failed").asInt();
        int filled = total == 0 ? 0 : (int) ((long) done * width / total);
        StringBuilder sb = new StringBuilder("[");
        sb.append("#".repeat(filled)).append("-".repeat(width - filled)).append("] ");
        String count = done + "/" + total;
        int digits = String.valueOf(total).length() * 2 + 1;
        sb.append(" ".repeat(Math.max(0, digits - count.length()))).append(count);
        sb.append(String.format(Locale.ROOT, " %5.1f%%", job.path("percent").asDouble()));
        sb.append(String.format(Locale.ROOT, "  %.1f/s", job.path("rate").asDouble()));
        JsonNode eta = job.path("etaSeconds");
        sb.append("  ETA ").append(eta.isNumber() ? duration(eta.asLong()) : "?");
        if (failed > 0) {
            sb.append("  ").append(failed).append(" failed");
        }
        return sb.toString();
    }

    /** Widest bar drawn; narrower when the line would not fit the terminal. */
    static final int BAR_WIDTH = 30;
    static final int MIN_BAR_WIDTH = 5;

    /**
     * The bar as wide as fits in {@code columns} characters (up to {@link #BAR_WIDTH}); the text
     * after the bar is cut when even the narrowest bar does not fit.
     */
    public static String fit(JsonNode job, int columns) {
        int text = render(job, 0).length();
        int width = Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, columns - text));
        String line = render(job, width);
        return line.length() <= columns ? line : line.substring(0, Math.max(0, columns));
    }

    /** 0:07, 12:30, 1:02:03 */
    public static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
