package dev.taskfarm.support;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import dev.taskfarm.compute.Compute;

/** The queues a farm of a test prefix declares, for a test to delete when it ends. */
public final class TestQueues {

    private TestQueues() {
    }

    /**
     * {@code <prefix>.replies}, {@code <prefix>.requests.dlq} and the requests queue
     * {@code <prefix>.requests.<compute>} of every compute on the test class path.
     */
    public static List<String> of(String prefix) {
        List<String> queues = new ArrayList<>(List.of(prefix + ".replies", prefix + ".requests.dlq"));
        for (String compute : computes()) {
            queues.add(prefix + ".requests." + compute);
        }
        return queues;
    }

    /** The sample workers' own computes (examples/workers): they declare their queues too. */
    static final List<String> SAMPLE_COMPUTES = List.of("wordcount", "upper", "collatz");

    /** The compute names of the class path (the built-ins and the test computes) and of the sample workers. */
    public static List<String> computes() {
        List<String> names = new ArrayList<>(SAMPLE_COMPUTES);
        ServiceLoader.load(Compute.class).forEach(c -> names.add(c.name()));
        return names;
    }
}
