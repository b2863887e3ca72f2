package dev.taskfarm.intake;

import java.nio.file.Path;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.ComputeRegistry;
import dev.taskfarm.job.BadJobException;
import dev.taskfarm.job.JobFile;
import dev.taskfarm.job.JobSpec;

/**
 * Admission control at intake, before a job is registered or a task published: the job is within
 * the task limit, and every task passes its compute's {@link Compute#validate} (a compute that
 * does not validate, or one served only by external workers, accepts every task).
 */
public class Admission {

    private final ComputeRegistry computes;
    private final int maxTasks;

    /** @param maxTasks most tasks one job may have ({@code taskfarm.job.max-tasks}) */
    public Admission(ComputeRegistry computes, int maxTasks) {
        this.computes = computes;
        this.maxTasks = maxTasks;
    }

    /** Refuses the job in {@code file} with the reason, or returns. */
    public void check(Path file, JobSpec spec, String computeName) throws BadJobException {
        if (spec.taskCount() > maxTasks) {
            throw new BadJobException("the job has " + spec.taskCount() + " tasks, more than the limit of " + maxTasks
                    + " per job (taskfarm.job.max-tasks): split it into several jobs");
        }
        // a compute listed as external is served by other workers, whose own rules decide
        Compute compute = computes.isExternal(computeName) ? null : computes.find(computeName);
        if (compute == null || !validates(compute)) {
            return;
        }
        JobFile.forEachTask(file, (index, task) -> {
            try {
                compute.validate(task);
            } catch (IllegalArgumentException e) {
                throw new BadJobException("task " + index + " is not a valid " + computeName + " task: " + e.getMessage()
                        + "; nothing of the job was published");
            }
        });
    }

    /** Whether the compute has a validate step of its own (else the second pass over the tasks is skipped). */
    static boolean validates(Compute compute) {
        try {
            return compute.getClass().getMethod("validate", com.fasterxml.jackson.databind.JsonNode.class)
                    .getDeclaringClass() != Compute.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }
}
