package dev.taskfarm.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.taskfarm.compute.Compute;
import dev.taskfarm.compute.Sha256Compute;

/**
 * Test compute ("spin"): a CPU-bound task that ignores interruption, the runaway a worker cannot
 * stop from inside its JVM. It hashes for {@code "ms"} milliseconds of wall time (forever when
 * absent). While it spins, its thread is named {@value #THREAD_NAME}, and the name shows in
 * {@code /proc/<pid>/task/<tid>/comm}, so a test can see from outside whether a runaway still runs.
 */
public class SpinCompute implements Compute {

    public static final String THREAD_NAME = "spin-runaway";

    @Override
    public String name() {
        return "spin";
    }

    @Override
    public JsonNode compute(JsonNode task) throws Exception {
        long until = task.has("ms") ? System.nanoTime() + task.get("ms").asLong() * 1_000_000 : Long.MAX_VALUE;
        Thread me = Thread.currentThread();
        String name = me.getName();
        me.setName(THREAD_NAME);
        byte[] digest = new byte[32];
        long rounds = 0;
        while (System.nanoTime() < until) {
            digest = Sha256Compute.digest(new String(digest, java.nio.charset.StandardCharsets.ISO_8859_1), 1);
            rounds++;
            // swallows interruption, as much real code does
            Thread.interrupted();
        }
        me.setName(name);
        return TextNode.valueOf(rounds + " rounds");
    }
}
