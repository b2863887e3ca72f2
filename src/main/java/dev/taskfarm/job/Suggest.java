package dev.taskfarm.job;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean ...?" for a misspelt name: the closest known name within a small edit distance. */
public final class Suggest {

    /** Most edits (insert, delete, replace, swap of neighbours) a misspelling may be away. */
    static final int MAX_EDITS = 2;

    private Suggest() {
    }

    /** The known name closest to {@code name}, ignoring case, if it is at most two edits away. */
    public static Optional<String> closest(String name, Collection<String> known) {
        String best = null;
        int bestDistance = MAX_EDITS + 1;
        for (String k : known) {
            int d = distance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code unknown field NAME; did you mean KNOWN?}, or without the question when nothing is close. */
    public static String unknown(String what, String name, Collection<String> known) {
        String shown = name.length() > 60 ? name.substring(0, 60) + "..." : name;
        return "unknown " + what + " " + shown.replaceAll("\\p{Cntrl}", "?")
                + closest(name, known).map(k -> "; did you mean " + k + "?").orElse("");
    }

    /** Optimal string alignment distance (Levenshtein plus transpositions). */
    static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > MAX_EDITS) {
            return MAX_EDITS + 1;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
