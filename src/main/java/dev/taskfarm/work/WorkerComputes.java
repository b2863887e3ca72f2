package dev.taskfarm.work;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.broker.ComputeQueues;
import dev.taskfarm.compute.ComputeRegistry;

/**
 * The computes a Java worker serves, one requests queue each (the worker route's
 * {@code queueSuffixes}): the computes it has (built-in, jars in taskfarm.computes.dir, route-file
 * beans), never those listed in taskfarm.computes.external, narrowed by taskfarm.worker.computes
 * when that is set. Asked when the worker's consumer starts, which declares their queues (with the
 * arguments the coordinator uses).
 */
public class WorkerComputes implements Supplier<List<String>> {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerComputes.class);

    private final ComputeRegistry computes;
    private final ComputeQueues queues;
    private final Set<String> only;

    /** @param only taskfarm.worker.computes: comma-separated names, empty = every compute the worker has */
    public WorkerComputes(ComputeRegistry computes, ComputeQueues queues, String only) {
        this.computes = computes;
        this.queues = queues;
        this.only = new TreeSet<>();
        for (String name : only.split(",")) {
            if (!name.isBlank()) {
                this.only.add(name.trim());
            }
        }
    }

    /** The computes served, their queues declared. */
    @Override
    public List<String> get() {
        Set<String> local = computes.local();
        List<String> served = new ArrayList<>();
        for (String name : only.isEmpty() ? local : only) {
            if (!local.contains(name)) {
                throw new IllegalStateException("taskfarm.worker.computes names \"" + name + "\", which this worker "
                        + "does not have" + (computes.isExternal(name) ? " (it is listed in taskfarm.computes.external)" : "")
                        + "; it has: " + String.join(", ", local));
            }
            queues.declare(name);
            served.add(name);
        }
        if (served.isEmpty()) {
            throw new IllegalStateException("This worker has no compute to serve (every compute it has is listed in "
                    + "taskfarm.computes.external?)");
        }
        LOG.info("Worker serves {} (queues {}.<compute>)", String.join(", ", served), queues.topology().requests());
        return served;
    }
}
