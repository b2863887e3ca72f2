package dev.taskfarm.k8s;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

/**
 * Runs the taskfarm jar the way a pod of the given spec would, without a container engine: the
 * image's files (the Dockerfile's COPYs of target/taskfarm.jar, target/lib and routes/) are laid
 * out under a directory standing for the container's root, the pod's volumes are mounted over
 * them (ConfigMaps with the kubelet's ..data layout, claims and emptyDirs as plain directories),
 * and the image's entrypoint runs there with the image's ENV plus the container's env, in the
 * container's working directory, with nothing inherited from the test's environment.
 *
 * <p>What differs from the cluster is stated by the caller in {@link Overrides} and checked
 * against the manifest: broker address and credentials (the Secret's values), unique queue names,
 * and the HTTP port (a free one, through JAVA_TOOL_OPTIONS, since the pods' 8080 is shared here).
 */
public final class PodProcess implements AutoCloseable {

    /** How the local run differs from the cluster. */
    public record Overrides(Map<String, String> replaceEnv, Map<String, String> addEnv,
            Map<String, Map<String, String>> secrets) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final Path root;
    private final Path log;
    private final int port;
    private final List<String> writable;
    private final Map<String, Long> snapshot;

    private PodProcess(String name, Process process, Path root, Path log, int port, List<String> writable, Map<String, Long> snapshot) {
        this.name = name;
        this.process = process;
        this.root = root;
        this.log = log;
        this.port = port;
        this.writable = writable;
        this.snapshot = snapshot;
    }

    public static PodProcess start(AppPod pod, Rendered r, ImageSpec image, Path dir, Overrides o) throws IOException {
        String name = pod.owner().getKind().toLowerCase() + "-" + pod.owner().getMetadata().getName();
        Path root = Files.createDirectories(dir.resolve(name + "-root"));
        layOutImage(image, root);
        List<String> writable = new ArrayList<>();
        for (VolumeMount m : pod.container().getVolumeMounts()) {
            mount(pod, r, m, root);
            if (pod.writable(m.getName())) {
                writable.add(m.getMountPath());
            }
        }
        int port = freePort();
        Map<String, String> env = environment(pod, r, image, o, root, port);
        List<String> command = command(pod, image, root);
        Path workingDir = under(root, AppConfig.workingDir(pod, image));
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Map<String, Long> snapshot = snapshot(root, writable);
        return new PodProcess(name, pb.start(), root, log, port, writable, snapshot);
    }

    /** The image's files: COPY sources linked (files) or rebuilt with linked files (directories). */
    private static void layOutImage(ImageSpec image, Path root) throws IOException {
        for (var c : image.copies().entrySet()) {
            Path src = AppConfig.PROJECT.resolve(c.getKey());
            Path dest = under(root, c.getValue());
            if (!Files.exists(src)) {
                throw new AssertionError("the Dockerfile copies " + c.getKey() + ", which does not exist (run mvn package first)");
            }
            if (Files.isDirectory(src)) {
                try (Stream<Path> files = Files.walk(src)) {
                    for (Path f : files.toList()) {
                        if (!image.inBuildContext(AppConfig.PROJECT.relativize(f).toString())) {
                            continue;
                        }
                        Path target = dest.resolve(src.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(target);
                        } else {
                            Files.createDirectories(target.getParent());
                            Files.createSymbolicLink(target, f.toAbsolutePath());
                        }
                    }
                }
            } else {
                Files.createDirectories(dest.getParent());
                Files.createSymbolicLink(dest, src.toAbsolutePath());
            }
        }
    }

    private static void mount(AppPod pod, Rendered r, VolumeMount m, Path root) throws IOException {
        Path at = under(root, m.getMountPath());
        deleteTree(at);
        Volume v = pod.volume(m.getName());
        if (v.getConfigMap() != null) {
            ConfigMap cm = r.configMap(v.getConfigMap().getName());
            Map<String, String> files = new TreeMap<>();
            if (v.getConfigMap().getItems() == null || v.getConfigMap().getItems().isEmpty()) {
                files.putAll(cm.getData());
            } else {
                for (KeyToPath item : v.getConfigMap().getItems()) {
                    files.put(item.getPath(), cm.getData().get(item.getKey()));
                }
            }
            if (m.getSubPath() != null) {
                String content = files.get(m.getSubPath());
                if (content == null) {
                    throw new AssertionError(pod.name() + ": subPath " + m.getSubPath() + " is not a key of ConfigMap " + cm.getMetadata().getName());
                }
                Files.createDirectories(at.getParent());
                Files.writeString(at, content);
                return;
            }
            // the kubelet's atomic-writer layout: key -> ..data/key, ..data -> ..<timestamp>/
            Path stamp = Files.createDirectories(at.resolve("..2026_01_01_00_00_00.000000001"));
            for (var f : files.entrySet()) {
                Files.writeString(stamp.resolve(f.getKey()), f.getValue());
                Files.createSymbolicLink(at.resolve(f.getKey()), Path.of("..data", f.getKey()));
            }
            Files.createSymbolicLink(at.resolve("..data"), stamp.getFileName());
        } else if (pod.writable(m.getName())) {
            Files.createDirectories(at);
        } else {
            throw new AssertionError(pod.name() + ": volume " + m.getName() + " is of a kind this launcher does not emulate");
        }
    }

    private static Map<String, String> environment(AppPod pod, Rendered r, ImageSpec image, Overrides o, Path root, int port) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", under(root, AppConfig.workingDir(pod, image)).toString());
        env.putAll(image.env());
        for (EnvVar e : pod.container().getEnv()) {
            env.put(e.getName(), value(pod, r, e, o));
        }
        for (var rep : o.replaceEnv().entrySet()) {
            if (!env.containsKey(rep.getKey())) {
                throw new AssertionError(pod.name() + ": the test replaces " + rep.getKey() + " but the pod does not set it");
            }
            env.put(rep.getKey(), rep.getValue());
        }
        env.putAll(o.addEnv());
        // the pods' HTTP port (8080) is shared on this machine: the same server on a free port
        String jto = env.getOrDefault("JAVA_TOOL_OPTIONS", "");
        env.put("JAVA_TOOL_OPTIONS", (jto + " -Dcamel.server.port=" + port + " -Dcamel.management.port=" + port).trim());
        return env;
    }

    private static String value(AppPod pod, Rendered r, EnvVar e, Overrides o) {
        if (e.getValueFrom() == null) {
            return e.getValue() == null ? "" : e.getValue();
        }
        SecretKeySelector s = e.getValueFrom().getSecretKeyRef();
        if (s != null) {
            String v = o.secrets().getOrDefault(s.getName(), Map.of()).get(s.getKey());
            if (v == null) {
                throw new AssertionError(pod.name() + ": env " + e.getName() + " reads Secret " + s.getName() + " key " + s.getKey()
                        + ", which the test does not provide");
            }
            return v;
        }
        var cmRef = e.getValueFrom().getConfigMapKeyRef();
        if (cmRef != null) {
            return r.configMap(cmRef.getName()).getData().get(cmRef.getKey());
        }
        throw new AssertionError(pod.name() + ": env " + e.getName() + " uses a valueFrom this launcher does not emulate");
    }

    private static List<String> command(AppPod pod, ImageSpec image, Path root) {
        List<String> cmd = new ArrayList<>();
        boolean ownCommand = pod.container().getCommand() != null && !pod.container().getCommand().isEmpty();
        cmd.addAll(ownCommand ? pod.container().getCommand() : image.entrypoint());
        List<String> args = pod.container().getArgs();
        cmd.addAll(args != null && !args.isEmpty() ? args : ownCommand ? List.of() : image.cmd());
        if (cmd.isEmpty()) {
            throw new AssertionError(pod.name() + ": neither the pod nor the image says what to run");
        }
        if (!cmd.get(0).equals("java")) {
            throw new AssertionError(pod.name() + ": expected the container to run java, it runs " + cmd);
        }
        cmd.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (int i = 1; i < cmd.size(); i++) {
            String a = cmd.get(i);
            if (a.startsWith("/") && Files.exists(under(root, a))) {
                cmd.set(i, under(root, a).toString());
            }
        }
        return cmd;
    }

    static Path under(Path root, String containerPath) {
        return root.resolve(containerPath.replaceFirst("^/+", ""));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Deletes a directory tree; symbolic links are deleted, never followed. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(p)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    /** Every file of the root file system outside writable mounts, with its modification time. */
    private static Map<String, Long> snapshot(Path root, List<String> writable) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path f : all.toList()) {
                String containerPath = "/" + root.relativize(f);
                if (writable.stream().anyMatch(w -> containerPath.equals(w) || containerPath.startsWith(w + "/"))) {
                    continue;
                }
                files.put(containerPath, Files.getLastModifiedTime(f, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis());
            }
        }
        return files;
    }

    /** Files the process created or changed outside its writable mounts (a read-only root file system forbids them). */
    public Set<String> writesOutsideVolumes() throws IOException {
        Map<String, Long> now = snapshot(root, writable);
        Set<String> changed = new java.util.TreeSet<>();
        now.forEach((f, t) -> {
            if (!t.equals(snapshot.get(f))) {
                changed.add(f);
            }
        });
        return changed;
    }

    public String name() {
        return name;
    }

    public Process process() {
        return process;
    }

    /** The pod's HTTP port here (its containerPort 8080 in the cluster). */
    public int port() {
        return port;
    }

    /** A container path of this pod on the local disk. */
    public Path path(String containerPath) {
        return under(root, containerPath);
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public String logTail() {
        String l = log();
        return l.length() > 6000 ? "..." + l.substring(l.length() - 6000) : l;
    }

    /** GET on the pod's HTTP port: status and body, or status -1 when nothing answers. */
    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether a probe would pass now (HTTP GET of its path answers 2xx or 3xx, as the kubelet requires). */
    public boolean probe(Probe p) {
        HttpResponse<String> res = get(p.getHttpGet().getPath());
        return res != null && res.statusCode() >= 200 && res.statusCode() < 400;
    }

    /** Sends SIGTERM, as the kubelet does when the pod is deleted. */
    public void terminate() {
        process.destroy();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
