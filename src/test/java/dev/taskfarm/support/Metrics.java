package dev.taskfarm.support;

/** Reads a farm's Prometheus endpoint ({@code /observe/metrics}) in tests. */
public final class Metrics {

    private Metrics() {
    }

    /** One series, e.g. {@code name{tag="v"}}; 0 if it is absent. */
    public static double series(TestFarm farm, String series) throws Exception {
        return sum(farm, series, false);
    }

    /** A metric summed over all its tags; 0 if it is absent. */
    public static double sum(TestFarm farm, String name) throws Exception {
        return sum(farm, name, true);
    }

    private static double sum(TestFarm farm, String name, boolean anyTags) throws Exception {
        return new Http(farm.baseUri()).get("/observe/metrics").body().lines()
                .filter(l -> l.startsWith(name + " ") || anyTags && l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
