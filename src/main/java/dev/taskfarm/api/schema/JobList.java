package dev.taskfarm.api.schema;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** GET /jobs: the most recent jobs, newest first. */
@Schema(name = "JobList", requiredProperties = {"jobs"})
public record JobList(List<JobView> jobs) {
}
