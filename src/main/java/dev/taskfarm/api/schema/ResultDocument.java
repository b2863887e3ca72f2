package dev.taskfarm.api.schema;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** GET /jobs/{id}/results as JSON: the job's summary and its results in index order. */
@Schema(name = "ResultDocument", requiredProperties = {"jobId", "status", "compute", "total", "succeeded", "failed",
    "startedAt", "results"})
public record ResultDocument(
        String jobId,
        @Schema(allowableValues = {"running", "completed", "partial", "failed", "timed_out", "cancelled"}) String status,
        String compute,
        int total,
        int succeeded,
        int failed,
        @Schema(description = "while running: tasks without a result yet") Integer pending,
        @Schema(description = "once ended: tasks that never got a result") Integer missing,
        @Schema(format = "date-time") String startedAt,
        @Schema(description = "once ended", format = "date-time") String finishedAt,
        List<Result> results) {

    /** One task's result; also one line of the NDJSON form. */
    @Schema(name = "Result", requiredProperties = {"index", "status"})
    public record Result(
            @Schema(description = "the task's position in the job") int index,
            @Schema(allowableValues = {"ok", "error", "missing"}) String status,
            @Schema(description = "the compute's result, any JSON value (sha256: a string, primes: an object), when ok",
                anyOf = {String.class, Double.class, Boolean.class, java.util.Map.class, java.util.List.class}) Object result,
            @Schema(description = "why the task failed, when error") String error) {
    }
}
