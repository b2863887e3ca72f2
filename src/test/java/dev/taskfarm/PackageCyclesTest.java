package dev.taskfarm;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No package of taskfarm depends, directly or through others, on a package that depends on it
 * (docs/DESIGN-NOTES.md, "Routes and beans"). The dependencies are the compiled classes' as the
 * JDK's {@code jdeps} reads them.
 */
class PackageCyclesTest {

    private static final Pattern EDGE = Pattern.compile("^\\s*(dev\\.taskfarm[\\w.]*)\\s+->\\s+(dev\\.taskfarm[\\w.]*)\\s");

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        Map<String, Set<String>> uses = dependencies(Path.of("target", "classes"));
        assertThat(uses).as("jdeps found taskfarm's packages").containsKeys("dev.taskfarm", "dev.taskfarm.collect");
        List<String> cycles = new ArrayList<>();
        for (String from : uses.keySet()) {
            for (String to : uses.get(from)) {
                if (reaches(uses, to, from)) {
                    cycles.add(from + " -> " + to + " -> ... -> " + from);
                }
            }
        }
        assertThat(cycles).isEmpty();
    }

    @Test
    void theBenchmarkIsAClientOfTheAppNotTheOtherWayRound() {
        Map<String, Set<String>> uses = dependencies(Path.of("target", "classes"));
        uses.forEach((from, to) -> {
            if (!from.startsWith("dev.taskfarm.bench")) {
                assertThat(to).as(from + " uses").noneMatch(p -> p.startsWith("dev.taskfarm.bench"));
            }
        });
    }

    private static boolean reaches(Map<String, Set<String>> uses, String from, String target) {
        Set<String> seen = new HashSet<>();
        List<String> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            String p = todo.remove(todo.size() - 1);
            if (p.equals(target)) {
                return true;
            }
            if (seen.add(p)) {
                todo.addAll(uses.getOrDefault(p, Set.of()));
            }
        }
        return false;
    }

    private static Map<String, Set<String>> dependencies(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new IllegalStateException(
                "the JDK's jdeps is missing: run the tests on a JDK, not a JRE"));
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", classes.toString());
        assertThat(rc).as(out.toString()).isZero();
        Map<String, Set<String>> uses = new HashMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find()) {
                uses.computeIfAbsent(m.group(1), k -> new TreeSet<>());
                if (!m.group(1).equals(m.group(2))) {
                    uses.get(m.group(1)).add(m.group(2));
                }
            }
        }
        return uses;
    }
}
