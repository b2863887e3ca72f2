package dev.taskfarm.support;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rabbitmqctl} of the local RabbitMQ node, for fault tests. Only ever aimed at the test's
 * own connections and queues (found by their unique names).
 */
public final class Rabbitmqctl {

    private Rabbitmqctl() {
    }

    /** Runs it, asserts success, returns the output. */
    public static String run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rabbitmqctl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("rabbitmqctl " + String.join(" ", args) + ": " + out).isZero();
        return out;
    }

    /** Erlang pids of the connections whose client-given name contains {@code name}. */
    public static List<String> connections(String name) throws Exception {
        List<String> pids = new ArrayList<>();
        Pattern named = Pattern.compile(".*\\{\"connection_name\",\"[^\"]*" + Pattern.quote(name) + "[^\"]*\"}.*");
        for (String line : run("list_connections", "--no-table-headers", "--quiet", "pid", "client_properties").split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0 && named.matcher(line).matches()) {
                pids.add(line.substring(0, tab).trim());
            }
        }
        return pids;
    }

    /** Ready plus unacknowledged messages of a queue; -1 if there is no such queue. */
    public static long messages(String queue) throws Exception {
        for (String line : run("list_queues", "--no-table-headers", "--quiet", "name", "messages").split("\n")) {
            String[] f = line.trim().split("\t");
            if (f.length == 2 && f[0].equals(queue)) {
                return Long.parseLong(f[1].trim());
            }
        }
        return -1;
    }

    /** The prefetch count of each consumer of a queue (as the broker applies it). */
    public static List<Integer> prefetches(String queue) throws Exception {
        List<Integer> prefetches = new ArrayList<>();
        for (String line : run("list_consumers", "--no-table-headers", "--quiet", "queue_name", "prefetch_count").split("\n")) {
            String[] f = line.trim().split("\t");
            if (f.length == 2 && f[0].equals(queue)) {
                prefetches.add(Integer.parseInt(f[1].trim()));
            }
        }
        return prefetches;
    }
}
