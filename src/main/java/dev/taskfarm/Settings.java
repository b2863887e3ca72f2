package dev.taskfarm;

import java.time.Duration;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Typed access to taskfarm's properties (application.properties, overridden by environment
 * variables such as TASKFARM_ROLE for taskfarm.role, or by -D system properties).
 */
public final class Settings {

    private final PropertiesComponent properties;

    public Settings(CamelContext context) {
        this.properties = context.getPropertiesComponent();
    }

    public String get(String key, String defaultValue) {
        return properties.resolveProperty(key).filter(v -> !v.isBlank()).map(String::trim).orElse(defaultValue);
    }

    /** A key whose default lives in application.properties (Java has none of its own). */
    public String text(String key) {
        return require(key, "its default is in application.properties");
    }

    /** A key that may be empty (null then). */
    public String optional(String key) {
        return get(key, null);
    }

    public int integer(String key) {
        text(key);
        return getInt(key, 0);
    }

    public long longValue(String key) {
        text(key);
        return getLong(key, 0);
    }

    public Duration duration(String key) {
        text(key);
        return getDuration(key, null);
    }

    public String require(String key, String hint) {
        String v = get(key, null);
        if (v == null) {
            throw new IllegalStateException("Missing setting " + key + ": " + hint);
        }
        return v;
    }

    private int getInt(String key, int defaultValue) {
        long v = getLong(key, defaultValue);
        if (v != (int) v) {
            throw new IllegalStateException("Setting " + key + " is too large: " + v);
        }
        return (int) v;
    }

    private long getLong(String key, long defaultValue) {
        String v = get(key, null);
        try {
            return v == null ? defaultValue : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Setting " + key + " must be a whole number, got \"" + v + "\"");
        }
    }

    private Duration getDuration(String key, Duration defaultValue) {
        String v = get(key, null);
        try {
            return v == null ? defaultValue : Duration.parse(v);
        } catch (Exception e) {
            throw new IllegalStateException("Setting " + key + " must be an ISO-8601 duration such as PT5M, got \"" + v + "\"");
        }
    }

    /** taskfarm.instance-id, else host:working directory: names this process's connection, inbox claims and job leases. */
    public String instanceId() {
        String id = optional("taskfarm.instance-id");
        return id != null ? id : dev.taskfarm.wire.ReplyMessages.hostName() + ":" + java.nio.file.Path.of("").toAbsolutePath();
    }

    public Role role() {
        return Role.parse(text("taskfarm.role"));
    }

    /** Which routes a process runs. */
    public enum Role {
        ALL, COORDINATOR, WORKER;

        public static Role parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("taskfarm.role must be all, coordinator or worker, got \"" + s + "\"");
            }
        }

        public boolean coordinates() {
            return this != WORKER;
        }

        public boolean works() {
            return this != COORDINATOR;
        }
    }
}
