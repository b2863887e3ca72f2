package dev.taskfarm.job;

/** The job id was used before; a job id runs once. */
public class JobExistsException extends BadJobException {

    public JobExistsException(String message) {
        super(message);
    }
}
