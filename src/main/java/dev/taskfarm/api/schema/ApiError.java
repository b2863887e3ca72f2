package dev.taskfarm.api.schema;

import io.swagger.v3.oas.annotations.media.Schema;

/** Every refused or failed request: what went wrong and the HTTP status again. */
@Schema(name = "Error", requiredProperties = {"error", "status"})
public record ApiError(
        @Schema(description = "what is wrong, for people", example = "unknown field taks; did you mean tasks?") String error,
        @Schema(description = "the HTTP status", example = "400") int status) {
}
