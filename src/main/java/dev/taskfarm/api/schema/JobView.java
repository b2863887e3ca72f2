package dev.taskfarm.api.schema;

import io.swagger.v3.oas.annotations.media.Schema;

/** A job and its progress, as GET /jobs/{id}, POST /jobs and DELETE /jobs/{id} answer it. */
@Schema(name = "Job", description = "A job and its progress",
        requiredProperties = {"id", "status", "compute", "total", "done", "succeeded", "failed", "published", "priority", "percent",
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
        @Schema(description = "the job's share weight (1..100, default 1): running jobs share the farm in proportion")
        int priority,
        @Schema(description = "while this coordinator dispatches the job: its window of tasks in flight (absent "
                + "otherwise)") Dispatch dispatch,
        @Schema(description = "done / total in percent, one decimal") double percent,
        @Schema(description = "results per second since the start") double rate,
        @Schema(description = "seconds until done at the current rate; null when unknown", nullable = true) Long etaSeconds,
        @Schema(description = "while running: worker processes consuming the compute's requests queue (absent when "
                + "the broker cannot say)") Long workers,
        @Schema(description = "while running: why it does not progress, e.g. no worker serves its compute") String notice,
        @Schema(description = "when the job was accepted", format = "date-time") String startedAt,
        @Schema(description = "when it ended; null while running", format = "date-time", nullable = true) String finishedAt,
        @Schema(description = "how the job's tasks are packed into request messages (absent for a job this "
                + "coordinator did not publish)") Chunking chunking,
        Links links) {

    /** Tasks per request message: fixed (the job's or the setting's size) or auto (sized from the compute's cost). */
    @Schema(name = "JobChunking", requiredProperties = {"mode"})
    public record Chunking(
            @Schema(allowableValues = {"fixed", "auto"}) String mode,
            @Schema(description = "fixed: tasks per message") Integer size,
            @Schema(description = "request messages published so far (fixed: in all)") Integer messages,
            @Schema(description = "auto: the compute's measured cost per task, null while unknown", nullable = true)
            Double costMicrosPerTask,
            @Schema(description = "auto: worker slots the sizes were chosen for") Integer slots,
            @Schema(description = "auto: tasks in the first message") Integer first,
            @Schema(description = "auto: tasks in the largest message") Integer largest,
            @Schema(description = "auto: tasks in the smallest message") Integer smallest,
            @Schema(description = "auto: tasks in the last message") Integer last) {
    }

    /** A running job's dispatch: what its window allows and holds (fair share between jobs). */
    @Schema(name = "JobDispatch", requiredProperties = {"published", "inFlight", "inFlightMessages", "window", "state"})
    public record Dispatch(
            @Schema(description = "tasks sent since this coordinator started dispatching the job") long published,
            @Schema(description = "tasks sent and without a result yet") int inFlight,
            @Schema(description = "request messages sent and not fully answered") int inFlightMessages,
            @Schema(description = "tasks the job may have in flight now (its share of all windows)") long window,
            @Schema(description = "sending, probing (waiting for a compute's cost), sent (every task is out), stopped "
                    + "(a publish failed: the re-drive rewinds it)", allowableValues = {"sending", "probing", "sent",
                        "stopped"}) String state) {
    }

    /** Where to find the job and its results. */
    @Schema(name = "JobLinks", requiredProperties = {"self", "results"})
    public record Links(@Schema(example = "/jobs/hash-chunks") String self,
            @Schema(example = "/jobs/hash-chunks/results") String results) {
    }
}
