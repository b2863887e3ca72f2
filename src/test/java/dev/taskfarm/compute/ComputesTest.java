package dev.taskfarm.compute;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ComputesTest {

    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void sha256MatchesKnownVectors() throws Exception {
        // values from Python: hashlib.sha256(b"task-0"), then 999 more rounds over the digest
        assertThat(new Sha256Compute().compute(M.readTree("{\"seed\":\"task-0\",\"rounds\":1}")).asText())
                .isEqualTo("600153c1dc756d80f14729c67d3c13afe4ad2959ef68b255a547d384f92e787f");
        assertThat(new Sha256Compute().compute(M.readTree("{\"seed\":\"task-0\",\"rounds\":1000}")).asText())
                .isEqualTo("5e77db951dd955269b84d9fe80954f4e6ca71a934fb2fe76b463fe274eb19c25");
        assertThat(new Sha256Compute().compute(M.readTree("{\"seed\":\"task-0\"}")).asText())
                .as("rounds defaults to 1").startsWith("600153c1");
    }

    @Test
    void sha256RejectsBadTasks() {
        assertThatThrownBy(() -> new Sha256Compute().compute(M.readTree("{\"rounds\":1}")))
                .hasMessageContaining("seed");
        assertThatThrownBy(() -> new Sha256Compute().compute(M.readTree("{\"seed\":\"a\",\"rounds\":0}")))
                .hasMessageContaining("rounds");
    }

    @Test
    void sha256RoundsIsAWholeNumberInRangeNeverTruncated() {
        for (String rounds : new String[] {"99999999999999999999", "2147483648", "2.5", "\"3\"", "null", "-1", "true"}) {
            assertThatThrownBy(() -> new Sha256Compute().compute(M.readTree("{\"seed\":\"a\",\"rounds\":" + rounds + "}")))
                    .as("rounds " + rounds).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'rounds' must be a whole number from 1 to 2147483647");
        }
    }

    @Test
    void builtInComputesValidateTasksBeforeTheyRun() throws Exception {
        assertThatThrownBy(() -> new Sha256Compute().validate(M.readTree("{}"))).hasMessageContaining("seed");
        assertThatThrownBy(() -> new Sha256Compute().validate(M.readTree("{\"seed\":\"a\",\"rounds\":99999999999999999999}")))
                .hasMessageContaining("rounds");
        new Sha256Compute().validate(M.readTree("{\"seed\":\"a\",\"rounds\":2147483647}"));
        assertThatThrownBy(() -> new PrimesCompute().validate(M.readTree("{\"to\":\"100\"}"))).hasMessageContaining("'to'");
        assertThatThrownBy(() -> new PrimesCompute().validate(M.readTree("{\"from\":1.5,\"to\":100}"))).hasMessageContaining("'from'");
        assertThatThrownBy(() -> new PrimesCompute().validate(M.readTree("{\"from\":0,\"to\":1000000000}")))
                .hasMessageContaining("limited");
        new PrimesCompute().validate(M.readTree("{\"from\":0,\"to\":100}"));
        new EchoCompute().validate(M.readTree("{}"));
    }

    @Test
    void primesCountsARange() throws Exception {
        var r = new PrimesCompute().compute(M.readTree("{\"from\":0,\"to\":100}"));
        assertThat(r.get("count").asLong()).isEqualTo(25);
        assertThat(r.get("largest").asLong()).isEqualTo(97);
        assertThat(new PrimesCompute().compute(M.readTree("{\"from\":1000000,\"to\":1000100}")).get("count").asLong())
                .isEqualTo(6);
        assertThatThrownBy(() -> new PrimesCompute().compute(M.readTree("{\"from\":0}"))).hasMessageContaining("to");
    }

    @Test
    void echoReturnsTheTask() throws Exception {
        assertThat(new EchoCompute().compute(M.readTree("{\"a\":[1]}")).toString()).isEqualTo("{\"a\":[1]}");
    }

    /**
     * A built-in compute stops on interruption (the worker interrupts a task at its time limit),
     * instead of holding its CPU until it is done: here the thread is interrupted before a task
     * that would run for seconds.
     */
    @Test
    void builtInComputesStopWhenInterrupted() throws Exception {
        var longSha = M.readTree("{\"seed\":\"a\",\"rounds\":50000000}");
        var widePrimes = M.readTree("{\"from\":0,\"to\":100000000}");
        try {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> new Sha256Compute().compute(longSha)).isInstanceOf(InterruptedException.class);
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> new PrimesCompute().compute(widePrimes)).isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(new Sha256Compute().honoursInterrupt()).isTrue();
        assertThat(new PrimesCompute().honoursInterrupt()).isTrue();
        assertThat(new EchoCompute().honoursInterrupt()).isTrue();
    }
}
