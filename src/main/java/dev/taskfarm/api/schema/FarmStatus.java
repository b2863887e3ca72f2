package dev.taskfarm.api.schema;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** GET /farm: the farm's queues as last sampled on the broker, and the worker slots they show. */
@Schema(name = "Farm", requiredProperties = {"queues", "slots", "consumersPerWorker", "workers"})
public record FarmStatus(
        List<Queue> queues,
        @Schema(description = "workers x consumersPerWorker: tasks the farm can run at once") long slots,
        @Schema(description = "taskfarm.worker.slots of this coordinator: tasks one worker process runs at once") int consumersPerWorker,
        @Schema(description = "the most consumers on one compute's requests queue: taskfarm workers connected (at least)") long workers) {

    @Schema(name = "FarmQueue", requiredProperties = {"name", "role", "ready", "consumers", "sampledAt"})
    public record Queue(String name,
            @Schema(allowableValues = {"requests", "replies", "deadLetters"}) String role,
            @Schema(description = "the compute of a requests queue") String compute,
            @Schema(description = "messages waiting") long ready,
            long consumers,
            @Schema(format = "date-time") String sampledAt) {
    }
}
