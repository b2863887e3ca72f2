package dev.taskfarm.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Renders kustomizations with {@code kubectl kustomize}, as {@code kubectl apply -k} would, with
 * no cluster. kubectl is required: without it the k8s tests fail (they never skip).
 */
public final class Kubectl {

    private static String binary;

    private Kubectl() {
    }

    /** The kubectl to run: $KUBECTL, else the first kubectl on the PATH. */
    public static synchronized String binary() {
        if (binary == null) {
            String fromEnv = System.getenv("KUBECTL");
            if (fromEnv != null && !fromEnv.isBlank()) {
                if (!Files.isExecutable(Path.of(fromEnv))) {
                    throw new AssertionError("KUBECTL=" + fromEnv + " is not an executable kubectl: the k8s tests render "
                            + "the manifests with `kubectl kustomize`");
                }
                binary = fromEnv;
            } else {
                binary = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                        .map(dir -> Path.of(dir, "kubectl"))
                        .filter(Files::isExecutable)
                        .findFirst()
                        .map(Path::toString)
                        .orElseThrow(() -> new AssertionError("kubectl is not installed (not on the PATH, KUBECTL not set): "
                                + "the k8s tests render the manifests with `kubectl kustomize`. Install kubectl "
                                + "(it needs no cluster for this) and run the tests again."));
            }
        }
        return binary;
    }

    /** {@code kubectl kustomize dir}: the objects apply -k would send, as multi-document YAML. */
    public static String kustomize(Path dir) throws IOException, InterruptedException {
        Path err = Files.createTempFile("kustomize-", ".err");
        try {
            Process p = new ProcessBuilder(binary(), "kustomize", dir.toString())
                    .redirectError(err.toFile())
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish in 60 s");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + p.exitValue() + "):\n"
                        + Files.readString(err));
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Every directory below {@code root} whose kustomization.yaml is a Kustomization (not a Component). */
    public static List<Path> kustomizations(Path... roots) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(f -> f.getFileName().toString().equals("kustomization.yaml")).sorted().toList()) {
                    if (!Files.readString(f).contains("kind: Component")) {
                        dirs.add(f.getParent());
                    }
                }
            }
        }
        return dirs;
    }
}
