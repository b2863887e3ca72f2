package dev.taskfarm.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.v1.Integration;
import org.junit.jupiter.api.Test;

import static dev.taskfarm.k8s.AppConfig.PROJECT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Camel K Integration files in k8s/camel-k against the {@code kamel run} commands in
 * docs/KUBERNETES.md that produce them: same name, image, labels, env vars, volumes, pod template
 * and every trait setting, both ways, so neither can drift from the other.
 */
class CamelKIntegrationsTest {

    static final Path DIR = PROJECT.resolve("k8s/camel-k");

    @Test
    void everyIntegrationHasAKamelRunCommandThatProducesIt() throws Exception {
        Map<String, List<String>> commands = kamelRunCommands();
        assertThat(commands.keySet()).containsExactlyInAnyOrder("taskfarm-worker", "taskfarm-coordinator");
        for (var e : commands.entrySet()) {
            Integration it = integration(e.getKey());
            assertProducedBy(it, e.getValue());
        }
    }

    @Test
    void podTemplatesAreTheFilesTheCommandsPass() throws Exception {
        for (String role : new String[] {"worker", "coordinator"}) {
            Integration it = integration("taskfarm-" + role);
            Object spec = it.getSpec().getTemplate().getSpec();
            JsonNode template = Rendered.CAMEL_K.valueToTree(spec);
            // bound to the same CRD class (strictly), so the file is checked against the schema too
            JsonNode file = Rendered.CAMEL_K.valueToTree(Rendered.CAMEL_K.convertValue(
                    Rendered.SERIALIZATION.unmarshal(Files.readString(DIR.resolve(role + "-pod-template.yaml")), Map.class), spec.getClass()));
            assertThat(template).as("spec.template.spec of taskfarm-" + role + " = " + role + "-pod-template.yaml").isEqualTo(file);
        }
    }

    static Integration integration(String name) throws IOException {
        Path f = DIR.resolve(name + ".yaml");
        assertThat(f).as("the Integration a kamel run --name " + name + " command writes").exists();
        Integration it = (Integration) Rendered.parseObject(f, Files.readString(f));
        assertThat(it.getMetadata().getName()).isEqualTo(name);
        return it;
    }

    /** The {@code kamel run} commands of the docs by --name, as argument lists. */
    static Map<String, List<String>> kamelRunCommands() throws IOException {
        String docs = Files.readString(PROJECT.resolve("docs/KUBERNETES.md")).replace("\\\n", " ");
        Map<String, List<String>> commands = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*kamel run (.*)$").matcher(docs);
        while (m.find()) {
            List<String> args = new ArrayList<>(List.of(m.group(1).replaceAll("\\s*[>|].*$", "").trim().split("\\s+")));
            int n = args.indexOf("--name");
            assertThat(n).as("kamel run without --name: " + args).isNotNegative();
            commands.put(args.get(n + 1), args);
        }
        return commands;
    }

    /** Checks the Integration holds exactly what the kamel run arguments set. */
    static void assertProducedBy(Integration it, List<String> args) {
        String name = it.getMetadata().getName();
        Map<String, String> traitsFromCommand = new TreeMap<>();
        List<String> env = new ArrayList<>();
        List<String> volumes = new ArrayList<>();
        Map<String, String> labels = new LinkedHashMap<>();
        String image = null;
        String podTemplate = null;
        Iterator<String> a = args.iterator();
        while (a.hasNext()) {
            String flag = a.next();
            switch (flag) {
                case "--name", "-n", "--namespace", "-o" -> a.next();
                case "--image" -> image = a.next();
                case "--pod-template" -> podTemplate = a.next();
                case "-e", "--env" -> env.add(a.next());
                case "-v", "--volume" -> volumes.add(a.next());
                case "--label" -> {
                    String[] kv = a.next().split("=", 2);
                    labels.put(kv[0], kv[1]);
                }
                case "-t", "--trait" -> {
                    String[] kv = a.next().split("=", 2);
                    traitsFromCommand.merge(normalize(kv[0]), kv[1], (x, y) -> x + "," + y);
                }
                default -> throw new AssertionError("kamel run flag not understood by this test: " + flag + " in " + args);
            }
        }
        assertThat(image).as(name + " --image").isEqualTo(it.getSpec().getTraits().getContainer().getImage());
        assertThat(podTemplate).as(name + " --pod-template").isEqualTo("k8s/camel-k/" + name.replace("taskfarm-", "") + "-pod-template.yaml");
        assertThat(it.getSpec().getTraits().getEnvironment().getVars()).as(name + " -e").containsExactlyElementsOf(env);
        List<String> mountVolumes = it.getSpec().getTraits().getMount().getVolumes();
        assertThat(mountVolumes == null ? List.of() : mountVolumes).as(name + " --volume").containsExactlyElementsOf(volumes);
        assertThat(it.getMetadata().getLabels()).as(name + " --label").isEqualTo(labels);

        // every trait value in the Integration is set by a -t flag (image, env and volumes by their own flags)
        Map<String, String> traitsInIntegration = new TreeMap<>();
        JsonNode traits = Rendered.CAMEL_K.valueToTree(it.getSpec().getTraits());
        traits.fields().forEachRemaining(t -> t.getValue().fields().forEachRemaining(p -> {
            String key = normalize(t.getKey() + "." + p.getKey());
            if (!key.equals("container.image") && !key.equals("environment.vars") && !key.equals("mount.volumes")) {
                List<String> values = new ArrayList<>();
                if (p.getValue().isArray()) {
                    p.getValue().forEach(v -> values.add(v.asText()));
                } else {
                    values.add(p.getValue().asText());
                }
                traitsInIntegration.put(key, String.join(",", values));
            }
        }));
        assertThat(traitsFromCommand).as(name + ": -t flags of the docs' kamel run vs traits of " + name + ".yaml")
                .isEqualTo(traitsInIntegration);
        assertThat(new TreeSet<>(traitsInIntegration.keySet())).isNotEmpty();
    }

    /** Trait property names compared loosely: health.liveness-probe-enabled = health.livenessProbeEnabled. */
    static String normalize(String key) {
        return key.replace("-", "").toLowerCase();
    }
}
