package dev.taskfarm.api.schema;

import io.swagger.v3.oas.annotations.media.Schema;

/** A job and its progress, as GET /jobs/{id}, POST /jobs and DELETE /jobs/{id} answer it. */
@Schema(name = "Job", description = "A job and its progress",
        requiredProperties = {"id", "status", "compute", "total", "done", "succeeded", "failed", "published", "percent",
            "rate", "etaSeconds", "startedAt", "finishedAt", "links"})
public record JobView(
        @Schema(description = "the job id", example = "hash-chunks") String id,
        @Schema(description = "running until the job ends", allowableValues = {"running", "completed", "partial", "failed",
            "timed_out", "cancelled"}) String status,
        @Schema(description = "the compute that runs its tasks", example = "sha256") String compute,
        @Schema(description = "number of tasks") int total,
        @Schema(description = "tasks with a result (ok or error)") int done,
        @Schema(description = "tasks whose result is ok") int succeeded,
        @Schema(description = "tasks whose result is an error") int failed,
        @Schema(description = "while running: tasks without a result yet") Integer pending,
        @Schema(description = "once ended: tasks that never got a result") Integer missing,
        @Schema(description = "tasks on the broker so far") int published,
        @Schema(description = "done / total in percent, one decimal") double percent,
        @Schema(description = "results per second since the start") double rate,
        @Schema(description = "seconds until done at the current rate; null when unknown", nullable = true) Long etaSeconds,
        @Schema(description = "when the job was accepted", format = "date-time") String startedAt,
        @Schema(description = "when it ended; null while running", format = "date-time", nullable = true) String finishedAt,
        Links links) {

    /** Where to find the job and its results. */
    @Schema(name = "JobLinks", requiredProperties = {"self", "results"})
    public record Links(@Schema(example = "/jobs/hash-chunks") String self,
            @Schema(example = "/jobs/hash-chunks/results") String results) {
    }
}
