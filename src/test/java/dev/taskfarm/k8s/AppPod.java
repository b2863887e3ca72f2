package dev.taskfarm.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.apache.camel.v1.Integration;

/**
 * A pod that runs the taskfarm image, seen the same way whatever creates it: a Deployment, a
 * StatefulSet, or a Camel K Integration (whose pod is worked out from its traits and pod template
 * the way the operator builds it, see {@link CamelK}).
 *
 * @param owner          the object that creates the pod
 * @param labels         the pod's labels
 * @param selector       the owner's pod selector (null for an Integration: the operator makes it)
 * @param spec           the pod spec
 * @param container      the taskfarm container in it
 * @param claimTemplates a StatefulSet's volume claim templates (volumes by name)
 */
public record AppPod(HasMetadata owner, Map<String, String> labels, Map<String, String> selector, PodSpec spec,
        Container container, List<PersistentVolumeClaim> claimTemplates) {

    /** The taskfarm pods a render creates. */
    public static List<AppPod> of(Rendered r) {
        List<AppPod> pods = new ArrayList<>();
        for (Deployment d : r.all(Deployment.class)) {
            app(d.getSpec().getTemplate().getSpec()).ifPresent(c -> pods.add(new AppPod(d,
                    d.getSpec().getTemplate().getMetadata().getLabels(), d.getSpec().getSelector().getMatchLabels(),
                    d.getSpec().getTemplate().getSpec(), c, List.of())));
        }
        for (StatefulSet s : r.all(StatefulSet.class)) {
            app(s.getSpec().getTemplate().getSpec()).ifPresent(c -> pods.add(new AppPod(s,
                    s.getSpec().getTemplate().getMetadata().getLabels(), s.getSpec().getSelector().getMatchLabels(),
                    s.getSpec().getTemplate().getSpec(), c, s.getSpec().getVolumeClaimTemplates())));
        }
        for (Integration i : r.all(Integration.class)) {
            PodSpec spec = CamelK.podSpec(i);
            pods.add(new AppPod(i, CamelK.podLabels(i), null, spec, spec.getContainers().get(0), List.of()));
        }
        return pods;
    }

    /** The container running the taskfarm image, if the pod has one. */
    static Optional<Container> app(PodSpec spec) {
        return spec.getContainers().stream().filter(c -> isTaskfarmImage(c.getImage())).findFirst();
    }

    static boolean isTaskfarmImage(String image) {
        String name = image.replaceAll("[:@].*$", "");
        return name.equals("taskfarm") || name.endsWith("/taskfarm");
    }

    public String name() {
        return owner.getKind() + "/" + owner.getMetadata().getName();
    }

    /** The literal value of an env var of the container (null when unset or set from a reference). */
    public String env(String name) {
        return envVar(name).map(EnvVar::getValue).orElse(null);
    }

    public Optional<EnvVar> envVar(String name) {
        return container.getEnv().stream().filter(e -> name.equals(e.getName())).findFirst();
    }

    public String role() {
        return env("TASKFARM_ROLE");
    }

    public Map<String, String> literalEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        container.getEnv().stream().filter(e -> e.getValueFrom() == null).forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    public Optional<VolumeMount> mountAt(String path) {
        return container.getVolumeMounts().stream().filter(m -> path.equals(m.getMountPath())).findFirst();
    }

    /** A volume of the pod by name; a StatefulSet's claim template counts as a PVC volume. */
    public Volume volume(String name) {
        Optional<Volume> v = spec.getVolumes().stream().filter(x -> name.equals(x.getName())).findFirst();
        if (v.isEmpty() && claimTemplates.stream().anyMatch(t -> name.equals(t.getMetadata().getName()))) {
            v = Optional.of(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName(name)
                    .withNewPersistentVolumeClaim().withClaimName(name).endPersistentVolumeClaim().build());
        }
        return v.orElseThrow(() -> new AssertionError(name() + ": volumeMount names volume \"" + name + "\" which the pod does not have"));
    }

    /** Whether a volume of this name is writable storage: a PVC, a claim template or an emptyDir. */
    public boolean writable(String volumeName) {
        Volume v = volume(volumeName);
        return v.getPersistentVolumeClaim() != null || v.getEmptyDir() != null;
    }

    public List<Probe> probes() {
        List<Probe> probes = new ArrayList<>();
        for (Probe p : new Probe[] {container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe()}) {
            if (p != null) {
                probes.add(p);
            }
        }
        return probes;
    }

    /** The container port a probe or Service names (by name or number). */
    public Optional<ContainerPort> port(io.fabric8.kubernetes.api.model.IntOrString ref) {
        return container.getPorts().stream()
                .filter(p -> ref.getIntVal() != null ? ref.getIntVal().equals(p.getContainerPort()) : ref.getStrVal().equals(p.getName()))
                .findFirst();
    }

    public boolean matches(Map<String, String> selector) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }
}
