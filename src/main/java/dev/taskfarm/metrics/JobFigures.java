package dev.taskfarm.metrics;

/** A running job's live numbers, as the per-job gauges read them (the collector's progress tally). */
public interface JobFigures {

    String jobId();

    int total();

    int published();

    int done();

    int failed();

    /** Results per second since the job started. */
    double rate();

    long etaSeconds();
}
