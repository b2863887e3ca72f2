package dev.taskfarm.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.apache.camel.v1.Integration;
import org.apache.camel.v1.integrationspec.Traits;

/**
 * What the Camel K operator (2.4+) makes of a self-managed-image Integration, as far as taskfarm
 * depends on it: the pod (container trait: image, port, resources, security; environment trait;
 * health trait probes on the container port; mount trait volumes and emptyDirs; then the pod
 * template merged in, container "integration" by name) and the Service (service trait). The jvm
 * trait stays off for an image the operator did not build, so the image's ENTRYPOINT runs.
 */
public final class CamelK {

    static final String CONTAINER = "integration";
    static final String INTEGRATION_LABEL = "camel.apache.org/integration";

    private CamelK() {
    }

    public static Map<String, String> podLabels(Integration i) {
        return Map.of(INTEGRATION_LABEL, i.getMetadata().getName());
    }

    public static PodSpec podSpec(Integration i) {
        Traits t = i.getSpec().getTraits();
        var ct = t.getContainer();
        int port = ct != null && ct.getPort() != null ? ct.getPort().intValue() : 8080;
        String portName = ct != null && ct.getPortName() != null ? ct.getPortName() : "http";
        ContainerBuilder c = new ContainerBuilder()
                .withName(ct != null && ct.getName() != null ? ct.getName() : CONTAINER)
                .withImage(ct == null ? null : ct.getImage())
                .withImagePullPolicy(ct == null ? null : ct.getImagePullPolicy() == null ? null : ct.getImagePullPolicy().getValue())
                .addNewPort().withName(portName).withContainerPort(port).withProtocol("TCP").endPort();
        if (ct != null) {
            Map<String, Quantity> requests = new LinkedHashMap<>();
            Map<String, Quantity> limits = new LinkedHashMap<>();
            putIf(requests, "cpu", ct.getRequestCPU());
            putIf(requests, "memory", ct.getRequestMemory());
            putIf(limits, "cpu", ct.getLimitCPU());
            putIf(limits, "memory", ct.getLimitMemory());
            c.withNewResources().withRequests(requests).withLimits(limits).endResources();
            c.withNewSecurityContext()
                    .withRunAsUser(ct.getRunAsUser())
                    .withRunAsNonRoot(ct.getRunAsNonRoot())
                    .withAllowPrivilegeEscalation(ct.getAllowPrivilegeEscalation())
                    .endSecurityContext();
        }
        if (t.getEnvironment() != null && t.getEnvironment().getVars() != null) {
            for (String var : t.getEnvironment().getVars()) {
                String[] kv = var.split("=", 2);
                c.addNewEnv().withName(kv[0]).withValue(kv.length > 1 ? kv[1] : "").endEnv();
            }
        }
        var h = t.getHealth();
        if (h != null && Boolean.TRUE.equals(h.getEnabled())) {
            IntOrString p = new IntOrString(port);
            if (Boolean.TRUE.equals(h.getLivenessProbeEnabled())) {
                c.withLivenessProbe(probe(h.getLivenessProbe(), p, h.getLivenessPeriod(), h.getLivenessFailureThreshold(), h.getLivenessInitialDelay()));
            }
            if (!Boolean.FALSE.equals(h.getReadinessProbeEnabled())) {
                c.withReadinessProbe(probe(h.getReadinessProbe(), p, h.getReadinessPeriod(), h.getReadinessFailureThreshold(), h.getReadinessInitialDelay()));
            }
            if (Boolean.TRUE.equals(h.getStartupProbeEnabled())) {
                c.withStartupProbe(probe(h.getStartupProbe(), p, h.getStartupPeriod(), h.getStartupFailureThreshold(), h.getStartupInitialDelay()));
            }
        }
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        if (t.getMount() != null) {
            for (String v : nullToEmpty(t.getMount().getVolumes())) {
                String[] nv = v.split(":", 2);
                volumes.add(new VolumeBuilder().withName(nv[0]).withNewPersistentVolumeClaim().withClaimName(nv[0]).endPersistentVolumeClaim().build());
                mounts.add(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName(nv[0]).withMountPath(nv[1]).build());
            }
            for (String v : nullToEmpty(t.getMount().getEmptyDirs())) {
                String[] nv = v.split(":", 2);
                volumes.add(new VolumeBuilder().withName(nv[0]).withNewEmptyDir().endEmptyDir().build());
                mounts.add(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName(nv[0]).withMountPath(nv[1]).build());
            }
            if (t.getMount().getResources() != null && !t.getMount().getResources().isEmpty()
                    || t.getMount().getConfigs() != null && !t.getMount().getConfigs().isEmpty()) {
                throw new AssertionError("mount.resources/configs are not modelled here: mount ConfigMaps through the pod template");
            }
        }
        c.withVolumeMounts(mounts);
        PodSpec pod = new PodSpecBuilder().withContainers(c.build()).withVolumes(volumes).build();
        if (i.getSpec().getTemplate() != null && i.getSpec().getTemplate().getSpec() != null) {
            merge(pod, Rendered.SERIALIZATION.convertValue(
                    Rendered.CAMEL_K.convertValue(i.getSpec().getTemplate().getSpec(), Map.class), PodSpec.class));
        }
        return pod;
    }

    /** The pod template, strategic-merge style for the fields taskfarm uses; anything else fails. */
    private static void merge(PodSpec pod, PodSpec template) {
        Container c = pod.getContainers().get(0);
        for (Container tc : template.getContainers()) {
            if (!tc.getName().equals(c.getName())) {
                throw new AssertionError("pod template container \"" + tc.getName() + "\" is not the integration container \"" + c.getName() + "\"");
            }
            List<EnvVar> env = new ArrayList<>(c.getEnv());
            for (EnvVar e : tc.getEnv()) {
                env.removeIf(old -> old.getName().equals(e.getName()));
                env.add(e);
            }
            c.setEnv(env);
            List<VolumeMount> mounts = new ArrayList<>(c.getVolumeMounts());
            mounts.addAll(tc.getVolumeMounts());
            c.setVolumeMounts(mounts);
            if (tc.getWorkingDir() != null) {
                c.setWorkingDir(tc.getWorkingDir());
            }
            if (tc.getSecurityContext() != null) {
                throw new AssertionError("set the container's security context with the container trait, not the pod template");
            }
        }
        List<Volume> volumes = new ArrayList<>(pod.getVolumes());
        volumes.addAll(template.getVolumes());
        pod.setVolumes(volumes);
        pod.setSecurityContext(template.getSecurityContext());
        pod.setTerminationGracePeriodSeconds(template.getTerminationGracePeriodSeconds());
    }

    /** The Service the service trait creates, if enabled. */
    public static java.util.Optional<Service> service(Integration i) {
        Traits t = i.getSpec().getTraits();
        if (t.getService() == null || !Boolean.TRUE.equals(t.getService().getEnabled())) {
            return java.util.Optional.empty();
        }
        var ct = t.getContainer();
        String portName = ct.getPortName() == null ? "http" : ct.getPortName();
        int servicePort = ct.getServicePort() == null ? 80 : ct.getServicePort().intValue();
        return java.util.Optional.of(new ServiceBuilder()
                .withNewMetadata().withName(i.getMetadata().getName()).endMetadata()
                .withNewSpec()
                .withSelector(podLabels(i))
                .addNewPort().withName(ct.getServicePortName() == null ? "http" : ct.getServicePortName())
                .withPort(servicePort).withTargetPort(new IntOrString(portName)).endPort()
                .endSpec()
                .build());
    }

    private static Probe probe(String path, IntOrString port, Integer period, Integer failureThreshold, Integer initialDelay) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(port).endHttpGet()
                .withPeriodSeconds(period)
                .withFailureThreshold(failureThreshold)
                .withInitialDelaySeconds(initialDelay)
                .build();
    }

    private static void putIf(Map<String, Quantity> map, String key, String value) {
        if (value != null) {
            map.put(key, new Quantity(value));
        }
    }

    private static List<String> nullToEmpty(List<String> l) {
        return l == null ? List.of() : l;
    }
}
