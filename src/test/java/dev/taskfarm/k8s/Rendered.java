package dev.taskfarm.k8s;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.apache.camel.v1.Integration;

/**
 * The objects of one rendered kustomization, parsed with the fabric8 Kubernetes model (typed
 * classes for built-in kinds, {@link GenericKubernetesResource} for other custom resources) and,
 * for Camel K Integrations, the camel-k-crds classes.
 *
 * <p>camel-k-crds 2.4.0 was generated for fabric8 6 (Jackson 2 annotations) while fabric8 8
 * serialises with Jackson 3, which does not see those annotations; so Integrations are bound with
 * a strict Jackson 2 mapper (an unknown trait or field fails the parse, catching typos).
 */
public final class Rendered {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final ObjectMapper CAMEL_K = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private final Path source;
    private final List<HasMetadata> objects;

    private Rendered(Path source, List<HasMetadata> objects) {
        this.source = source;
        this.objects = objects;
    }

    /** Renders {@code dir} with kubectl kustomize and parses every object. */
    public static Rendered of(Path dir) throws IOException, InterruptedException {
        return parse(dir, Kubectl.kustomize(dir));
    }

    public static Rendered parse(Path source, String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.isBlank()) {
                continue;
            }
            objects.add(parseObject(source, doc));
        }
        return new Rendered(source, objects);
    }

    static HasMetadata parseObject(Path source, String doc) {
        Map<?, ?> raw = SERIALIZATION.unmarshal(doc, Map.class);
        if ("camel.apache.org/v1".equals(raw.get("apiVersion")) && "Integration".equals(raw.get("kind"))) {
            try {
                return CAMEL_K.convertValue(raw, Integration.class);
            } catch (IllegalArgumentException e) {
                throw new AssertionError(source + ": Integration " + name(raw) + " does not fit the Camel K CRD: " + e.getMessage(), e);
            }
        }
        HasMetadata o = SERIALIZATION.unmarshal(doc, HasMetadata.class);
        if (!(o instanceof GenericKubernetesResource)) {
            List<String> unknown = new ArrayList<>();
            unknownFields(o, o.getKind() + "/" + o.getMetadata().getName(), unknown, new IdentityHashMap<>());
            if (!unknown.isEmpty()) {
                throw new AssertionError(source + ": fields the Kubernetes API does not know (typos?): " + unknown);
            }
        }
        return o;
    }

    private static Object name(Map<?, ?> raw) {
        return raw.get("metadata") instanceof Map<?, ?> m ? m.get("name") : "?";
    }

    /** Collects the paths of fields fabric8 kept as "additional properties", i.e. not in the API schema. */
    private static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object value = getter.invoke(o);
                if (getter.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        extra.keySet().forEach(k -> out.add(path + "." + k));
                    }
                } else {
                    unknownFields(value, path + "." + getter.getName().substring(3), out, seen);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public Path source() {
        return source;
    }

    public List<HasMetadata> all() {
        return objects;
    }

    public <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Custom resources of a kind that has no model class here (RabbitmqCluster, ScaledObject...). */
    public List<GenericKubernetesResource> custom(String kind) {
        return all(GenericKubernetesResource.class).stream().filter(r -> kind.equals(r.getKind())).toList();
    }

    public Optional<GenericKubernetesResource> custom(String kind, String name) {
        return custom(kind).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }

    public <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst();
    }

    public ConfigMap configMap(String name) {
        return find(ConfigMap.class, name).orElseThrow(() -> new AssertionError(source + ": no ConfigMap " + name
                + " in the render; have " + all(ConfigMap.class).stream().map(c -> c.getMetadata().getName()).toList()));
    }

    public Set<String> kinds() {
        return new java.util.TreeSet<>(objects.stream().map(HasMetadata::getKind).toList());
    }

    @Override
    public String toString() {
        return source.toString();
    }
}
