package dev.taskfarm.api.schema;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** GET /farm: the farm's queues as last sampled on the broker, and the worker slots they show. */
@Schema(name = "Farm", requiredProperties = {"queues", "slots", "consumersPerWorker", "workers"})
public record FarmStatus(
        List<Queue> queues,
        @Schema(description = "consumers on the requests queue: tasks the farm can run at once") long slots,
        @Schema(description = "taskfarm.worker.slots of this coordinator") int consumersPerWorker,
        @Schema(description = "slots / consumersPerWorker, rounded up: taskfarm workers connected") long workers) {

    @Schema(name = "FarmQueue", requiredProperties = {"name", "role", "ready", "consumers", "sampledAt"})
    public record Queue(String name,
            @Schema(allowableValues = {"requests", "replies", "deadLetters", "other"}) String role,
            @Schema(description = "messages waiting") long ready,
            long consumers,
            @Schema(format = "date-time") String sampledAt) {
    }
}
