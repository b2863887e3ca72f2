package dev.taskfarm.work;

import java.util.ArrayList;
import java.util.List;

import dev.taskfarm.compute.BadTaskException;

/**
 * Which exceptions of a compute retrying cannot fix: {@link BadTaskException} always, and the
 * classes (with their subclasses) listed in {@code taskfarm.retry.permanent-errors}.
 */
public final class PermanentErrors {

    private final List<Class<?>> types = new ArrayList<>(List.of(BadTaskException.class));

    /** @param classNames comma-separated exception class names, e.g. {@code java.lang.IllegalArgumentException} */
    public PermanentErrors(String classNames) {
        for (String name : classNames.split(",")) {
            if (name.isBlank()) {
                continue;
            }
            try {
                Class<?> type = Class.forName(name.trim());
                if (!Throwable.class.isAssignableFrom(type)) {
                    throw new IllegalStateException("taskfarm.retry.permanent-errors: " + name.trim() + " is not an exception class");
                }
                types.add(type);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("taskfarm.retry.permanent-errors: no class " + name.trim() + " on the class path", e);
            }
        }
    }

    public boolean isPermanent(Throwable error) {
        for (Class<?> type : types) {
            if (type.isInstance(error)) {
                return true;
            }
        }
        return false;
    }
}
