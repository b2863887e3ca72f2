package dev.taskfarm.compute;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.camel.CamelContext;

/**
 * The computes this process knows: the built-in ones and those found with {@link ServiceLoader},
 * plus any {@link Compute} bean in the Camel registry (for example declared in a YAML file).
 */
public class ComputeRegistry {

    /**
     * A compute name: it names the compute's requests queue ({@code <taskfarm.queue.requests>.<name>},
     * docs/WIRE.md), so letters, digits, '_' and '-' only (no '.', no spaces), at most 100.
     */
    public static final java.util.regex.Pattern VALID_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,99}");

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ComputeRegistry.class);
    private volatile java.util.function.Function<String, String> refusal = name -> null;
    private final Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final CamelContext camelContext;
    private final Map<String, Compute> discovered = new TreeMap<>();
    private final Set<String> external = new TreeSet<>();
    private static final long REMEMBER_NANOS = 1_000_000_000L;
    private final Map<String, Found> found = new java.util.concurrent.ConcurrentHashMap<>();

    public ComputeRegistry(CamelContext camelContext, String externalNames) {
        this.camelContext = camelContext;
        discovered.putAll(discover(loader(camelContext)));
        for (String name : externalNames.split(",")) {
            if (!name.isBlank()) {
                if (!VALID_NAME.matcher(name.trim()).matches()) {
                    throw new IllegalStateException("taskfarm.computes.external: \"" + name.trim() + "\" is not a compute "
                            + "name (1 to 100 letters, digits, '_' or '-'; it names a queue)");
                }
                external.add(name.trim());
            }
        }
    }

    /**
     * The computes {@link ServiceLoader} finds with this class loader, by name: a compute with an
     * invalid name, or a plug-in that cannot be loaded, is skipped with an error in the log (one
     * broken plug-in must not stop the farm: its jobs get "unknown compute").
     */
    public static Map<String, Compute> discover(ClassLoader loader) {
        Map<String, Compute> computes = new TreeMap<>();
        var providers = ServiceLoader.load(Compute.class, loader).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                Compute c = providers.next();
                if (c.name() == null || !VALID_NAME.matcher(c.name()).matches()) {
                    LOG.error("Skipping compute {}: its name \"{}\" is not 1 to 100 letters, digits, '_' or '-'",
                            c.getClass().getName(), c.name());
                    continue;
                }
                computes.put(c.name(), c);
            } catch (java.util.ServiceConfigurationError e) {
                LOG.error("Skipping a compute: {}", e.getMessage());
            }
        }
        return computes;
    }

    /**
     * The app's class loader, or one that also sees the jars in {@code taskfarm.computes.dir}; it
     * becomes the context's application class loader, so YAML beans can be of their classes.
     */
    private static ClassLoader loader(CamelContext context) {
        ClassLoader app = ComputeRegistry.class.getClassLoader();
        String dir = context.getPropertiesComponent().resolveProperty("taskfarm.computes.dir").orElse("");
        if (dir.isBlank()) {
            return app;
        }
        ClassLoader loader = ComputeJars.loader(java.nio.file.Path.of(dir), app);
        if (loader != app) {
            context.setApplicationContextClassLoader(loader);
        }
        return loader;
    }

    /**
     * The compute of that name, or null. A worker asks for every task, and searching the registry
     * by type walks all its beans (~9% of a worker's CPU per tiny task), so a found compute is
     * remembered for a second: a YAML bean changed by a live route reload is used a second later.
     */
    public Compute find(String name) {
        long now = System.nanoTime();
        Found f = found.get(name);
        if (f != null && now - f.at < REMEMBER_NANOS) {
            return f.compute;
        }
        Compute c = usable(name) ? lookup(name) : null;
        if (c != null) {
            found.put(name, new Found(c, now));
        }
        return c;
    }

    private Compute lookup(String name) {
        for (Compute c : camelContext.getRegistry().findByType(Compute.class)) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return discovered.get(name);
    }

    private record Found(Compute compute, long at) {
    }

    /** Whether this is the compute found on the class path under its name (not a route-file bean). */
    public boolean isFromClassPath(Compute compute) {
        return discovered.get(compute.name()) == compute;
    }

    /**
     * Names the queue layout cannot give a queue (one that would be the dead-letter or replies
     * queue): the function answers why, or null; such a compute is unknown.
     */
    public void setRefusal(java.util.function.Function<String, String> refusal) {
        this.refusal = refusal;
        for (String name : names()) {
            usable(name);
        }
    }

    private boolean usable(String name) {
        if (name == null || !VALID_NAME.matcher(name).matches()) {
            return false;
        }
        String why = refusal.apply(name);
        if (why != null && warned.add(name)) {
            LOG.error("Compute \"{}\" cannot be used: {}", name, why);
        }
        return why == null;
    }

    /** Whether a job may name this compute: a local one, or one served by external workers. */
    public boolean isKnown(String name) {
        return external.contains(name) && usable(name) || find(name) != null;
    }

    /**
     * The computes this process itself can run (class path, computes.dir and route-file beans),
     * never those listed in taskfarm.computes.external: a worker consumes exactly their queues.
     */
    public Set<String> local() {
        Set<String> names = new TreeSet<>(discovered.keySet());
        camelContext.getRegistry().findByType(Compute.class).forEach(c -> names.add(c.name()));
        names.removeAll(external);
        names.removeIf(n -> !usable(n));
        return names;
    }

    /** Whether the name is listed in taskfarm.computes.external: served by workers of their own rules. */
    public boolean isExternal(String name) {
        return external.contains(name);
    }

    /** Every name a job may use, for error messages. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>(discovered.keySet());
        camelContext.getRegistry().findByType(Compute.class).forEach(c -> names.add(c.name()));
        names.addAll(external);
        return names;
    }
}
