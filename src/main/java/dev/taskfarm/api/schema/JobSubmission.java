package dev.taskfarm.api.schema;

import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The body of POST /jobs as JSON: an array of task objects or a job object. (As
 * application/x-ndjson the body is one task object per line.)
 */
@Schema(name = "JobSubmission", description = "A JSON array of task objects, or a job object",
        oneOf = {JobSubmission.TaskArray.class, JobSubmission.JobObject.class})
public interface JobSubmission {

    /** A task: any JSON object; what its fields mean is up to the compute. */
    @Schema(name = "Task", type = "object", description = "One task: a JSON object the compute understands",
            additionalProperties = Schema.AdditionalPropertiesValue.TRUE, example = "{\"seed\":\"a\",\"rounds\":1}")
    final class Task {
        private Task() {
        }
    }

    /** The array format. */
    @io.swagger.v3.oas.annotations.media.ArraySchema(arraySchema = @Schema(name = "TaskArray",
            description = "The tasks, in index order"), schema = @Schema(implementation = Task.class), minItems = 1)
    final class TaskArray implements JobSubmission {
        private TaskArray() {
        }
    }

    /** The job object format; no other fields are allowed. */
    @Schema(name = "JobObject", requiredProperties = {"tasks"}, additionalProperties = Schema.AdditionalPropertiesValue.FALSE)
    record JobObject(
            @io.swagger.v3.oas.annotations.media.ArraySchema(arraySchema = @Schema(description = "the tasks, in index order"),
                schema = @Schema(implementation = Task.class), minItems = 1) List<Map<String, Object>> tasks,
            @Schema(description = "compute name (default taskfarm.job.default-compute)", example = "sha256") String compute,
            @Schema(description = "job deadline: ISO-8601 duration or milliseconds (default taskfarm.job.timeout)",
                example = "PT5M") String timeout,
            @Schema(description = "job id, when the request has no ?id=", pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$") String id,
            @Schema(description = "tasks per request message", minimum = "1", maximum = "10000") Integer chunkSize)
            implements JobSubmission {
    }
}
