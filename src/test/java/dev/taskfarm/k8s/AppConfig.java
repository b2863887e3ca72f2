package dev.taskfarm.k8s;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

/**
 * The taskfarm settings a pod ends up with, resolved the way the app resolves them: an env var
 * (TASKFARM_QUEUE_REQUESTS for taskfarm.queue.requests; the image's ENV, then the container's),
 * else the application.properties mounted in the working directory, else the jar's defaults.
 */
public final class AppConfig {

    public static final Path PROJECT = Path.of(System.getProperty("user.dir"));

    private final Map<String, String> env;
    private final Properties mounted;
    private final Properties defaults;
    private final String workingDir;

    private AppConfig(Map<String, String> env, Properties mounted, Properties defaults, String workingDir) {
        this.env = env;
        this.mounted = mounted;
        this.defaults = defaults;
        this.workingDir = workingDir;
    }

    public static AppConfig of(AppPod pod, Rendered r, ImageSpec image) throws IOException {
        Map<String, String> env = new LinkedHashMap<>(image.env());
        env.putAll(pod.literalEnv());
        String wd = workingDir(pod, image);
        Properties mounted = new Properties();
        Optional<String> file = mountedFile(pod, r, wd + "/application.properties");
        if (file.isPresent()) {
            mounted.load(new StringReader(file.get()));
        }
        return new AppConfig(env, mounted, jarDefaults(), wd);
    }

    public static String workingDir(AppPod pod, ImageSpec image) {
        String wd = pod.container().getWorkingDir();
        return wd == null ? image.workdir() : wd;
    }

    /** The content a ConfigMap volume puts at {@code path} in the container, if one does. */
    public static Optional<String> mountedFile(AppPod pod, Rendered r, String path) {
        for (VolumeMount m : pod.container().getVolumeMounts()) {
            Volume v = pod.volume(m.getName());
            if (v.getConfigMap() == null) {
                continue;
            }
            ConfigMap cm = r.configMap(v.getConfigMap().getName());
            if (path.equals(m.getMountPath()) && m.getSubPath() != null) {
                return Optional.ofNullable(cm.getData().get(m.getSubPath()));
            }
            if (path.startsWith(m.getMountPath() + "/") && m.getSubPath() == null) {
                return Optional.ofNullable(cm.getData().get(path.substring(m.getMountPath().length() + 1)));
            }
        }
        return Optional.empty();
    }

    public static Properties jarDefaults() throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(PROJECT.resolve("src/main/resources/application.properties"))) {
            p.load(in);
        }
        return p;
    }

    public static String envName(String key) {
        return key.toUpperCase().replace('.', '_').replace('-', '_');
    }

    /** The effective value of a setting (blank counts as unset, as in the app). */
    public String get(String key) {
        String v = env.get(envName(key));
        if (v == null || v.isBlank()) {
            v = mounted.getProperty(key);
        }
        if (v == null || v.isBlank()) {
            v = defaults.getProperty(key);
        }
        return v == null || v.isBlank() ? null : resolve(v.trim());
    }

    /** Resolves Camel placeholders the way the app does: {{key}} and {{env:NAME:default}}. */
    private String resolve(String value) {
        var m = java.util.regex.Pattern.compile("\\{\\{(env:)?([^:}]+)(?::([^}]*))?}}").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) != null ? env.getOrDefault(m.group(2), m.group(3) == null ? "" : m.group(3))
                    : java.util.Objects.requireNonNullElse(get(m.group(2)), m.group(3) == null ? "" : m.group(3));
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.isEmpty() ? null : out.toString();
    }

    public Properties mounted() {
        return mounted;
    }

    /** A path setting (relative to the working directory) as an absolute container path. */
    public String path(String key) {
        String v = get(key);
        return v.startsWith("/") ? v : workingDir + "/" + v;
    }

    public String workingDir() {
        return workingDir;
    }
}
