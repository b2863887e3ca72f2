package dev.taskfarm.compute;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Custom computes as jars dropped into a directory ({@code taskfarm.computes.dir}, {@code computes}
 * next to the working directory by default; {@code /app/computes} in the image). {@code java -jar}
 * ignores {@code -cp}, so the jars get a class loader of their own, whose parent is the app's: the
 * ServiceLoader finds their computes and YAML {@code beans:} may name their classes.
 */
public final class ComputeJars {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeJars.class);

    private ComputeJars() {
    }

    /** A class loader over the directory's jars, or {@code parent} itself when there are none. */
    public static ClassLoader loader(Path dir, ClassLoader parent) {
        List<Path> jars = jars(dir);
        if (jars.isEmpty()) {
            return parent;
        }
        URL[] urls = jars.stream().map(ComputeJars::url).toArray(URL[]::new);
        LOG.info("Compute jars from {}: {}", dir.toAbsolutePath(), jars.stream().map(p -> p.getFileName().toString()).toList());
        return new URLClassLoader("taskfarm-computes", urls, parent);
    }

    public static List<Path> jars(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the compute jars in " + dir, e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(jar.toString(), e);
        }
    }
}
