package dev.taskfarm.intake;

import java.nio.file.Path;

import org.apache.camel.Exchange;

/**
 * What happens to an accepted job besides its ledger row: its input is kept until the job ends and
 * the accepting coordinator owns it (the re-drive, {@code dev.taskfarm.durable}). Optional: without
 * one, {@link JobIntake} only registers jobs.
 */
public interface JobKeeper {

    /** Before the job is registered: keeps its input; returns the input's digest. */
    String keep(String jobId, Path file, Exchange exchange) throws java.io.IOException;

    /** This coordinator registers the job with this input: runs in the transaction of the job's row. */
    void registered(java.sql.Connection c, String jobId, String digest) throws java.sql.SQLException;

    /** The digest of the input the job was registered with, or null when unknown. */
    String digestOf(String jobId) throws java.sql.SQLException;

    /** The job id was refused: the input kept for it by {@link #keep} is not needed. */
    void discard(String jobId, String digest);
}
