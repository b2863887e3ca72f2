package dev.taskfarm.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the project's Dockerfile makes of the image, read from its final stage: working directory,
 * user, environment, entrypoint and command, and which build-context paths are copied where. The
 * k8s tests use it to run the jar the way a container of that image would, without Docker.
 * Only the instruction forms the Dockerfile uses are understood; anything else fails loudly.
 */
public record ImageSpec(String workdir, String user, Map<String, String> env, List<String> entrypoint, List<String> cmd,
        Map<String, String> copies, List<String> dockerignore) {

    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");

    public static ImageSpec parse(Path dockerfile) throws IOException {
        Path ignore = dockerfile.resolveSibling(".dockerignore");
        List<String> dockerignore = Files.exists(ignore)
                ? Files.readAllLines(ignore).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()
                : List.of();
        String workdir = "/";
        String user = "root";
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entrypoint = List.of();
        List<String> cmd = List.of();
        Map<String, String> copies = new LinkedHashMap<>();
        for (String line : instructions(Files.readString(dockerfile))) {
            String[] parts = line.split("\\s+", 2);
            String op = parts[0].toUpperCase();
            String arg = parts.length > 1 ? parts[1].trim() : "";
            switch (op) {
                case "FROM" -> {
                    // a new stage starts from scratch as far as this model is concerned
                    workdir = "/";
                    user = "root";
                    env.clear();
                    entrypoint = List.of();
                    cmd = List.of();
                    copies.clear();
                }
                case "WORKDIR" -> workdir = arg.startsWith("/") ? arg : workdir + "/" + arg;
                case "USER" -> user = arg;
                case "ENV" -> {
                    Matcher m = ENV_PAIR.matcher(arg);
                    while (m.find()) {
                        String v = m.group(2);
                        env.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
                    }
                }
                case "ENTRYPOINT" -> entrypoint = execForm(op, arg);
                case "CMD" -> cmd = execForm(op, arg);
                case "COPY" -> {
                    List<String> words = new ArrayList<>(List.of(arg.split("\\s+")));
                    words.removeIf(w -> w.startsWith("--"));
                    if (words.size() != 2) {
                        throw new IllegalStateException("COPY with one source and one destination expected: " + line);
                    }
                    copies.put(strip(words.get(0)), strip(words.get(1)));
                }
                case "RUN", "EXPOSE", "LABEL", "ARG", "HEALTHCHECK", "STOPSIGNAL", "VOLUME" -> {
                    // no effect on how the jar is started
                }
                default -> throw new IllegalStateException("Dockerfile instruction not understood by ImageSpec: " + line);
            }
        }
        return new ImageSpec(workdir, user, env, entrypoint, cmd, copies, dockerignore);
    }

    /** The numeric user id of USER (uid or uid:gid). */
    public long uid() {
        return Long.parseLong(user.split(":")[0]);
    }

    /** Where in the build context the image file at {@code imagePath} comes from, if a COPY put it there. */
    public java.util.Optional<String> sourceOf(String imagePath) {
        for (var c : copies.entrySet()) {
            String dest = c.getValue();
            if (imagePath.equals(dest)) {
                return java.util.Optional.of(c.getKey());
            }
            String dir = dest.endsWith("/") ? dest : dest + "/";
            if (imagePath.startsWith(dir)) {
                String src = c.getKey().endsWith("/") ? c.getKey() : c.getKey() + "/";
                return java.util.Optional.of(src + imagePath.substring(dir.length()));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Whether a file (path relative to the project) is sent to docker build, per .dockerignore:
     * the last pattern matching the path or one of its parent directories decides; "!" includes.
     */
    public boolean inBuildContext(String relativePath) {
        boolean included = true;
        var fs = java.nio.file.FileSystems.getDefault();
        for (String line : dockerignore) {
            boolean negate = line.startsWith("!");
            String pattern = strip(negate ? line.substring(1) : line);
            var matcher = fs.getPathMatcher("glob:" + pattern);
            for (Path p = Path.of(relativePath); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    included = negate;
                    break;
                }
            }
        }
        return included;
    }

    private static String strip(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static List<String> execForm(String op, String arg) throws IOException {
        if (!arg.startsWith("[")) {
            throw new IllegalStateException(op + " must use the exec form [\"...\"] so java is PID 1 and gets SIGTERM: " + arg);
        }
        return List.of(new ObjectMapper().readValue(arg, String[].class));
    }

    /** The instructions, one per element, with comments dropped and continuation lines joined. */
    private static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || line.isEmpty() && current.isEmpty()) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            if (!current.toString().isBlank()) {
                out.add(current.toString().strip());
            }
            current.setLength(0);
        }
        return out;
    }
}
