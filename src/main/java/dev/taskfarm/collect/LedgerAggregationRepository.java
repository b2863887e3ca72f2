package dev.taskfarm.collect;

import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.RecoverableAggregationRepository;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.taskfarm.ledger.JobLedger;
import dev.taskfarm.ledger.JobRow;
import dev.taskfarm.ledger.TaskResult;
import dev.taskfarm.wire.Wire;

/**
 * Aggregation repository backed by the job ledger, with O(1) work per reply. Results go to the
 * ledger through the collector's {@link ReplyBuffer} (group commit); a completing job commits
 * them before it is claimed.
 *
 * <p>Camel's stock JDBC repository stores the whole aggregated exchange and rewrites it on every
 * reply, which is quadratic in the job size. Here the aggregate is rebuilt from the job's ledger
 * row (its counters become {@code CamelAggregatedSize}), and each reply adds exactly one result
 * row. A coordinator that dies mid-job therefore restarts with every recorded result and the
 * right count; replies it had not acknowledged are redelivered by the broker.
 *
 * <p>Completion moves the job to {@code completing}; the result writer moves it to its final
 * status. A job left in {@code completing} by a crash is handed back to the aggregator by
 * {@link #scan}/{@link #recover}, so its result file is still written.
 */
public class LedgerAggregationRepository extends ServiceSupport implements RecoverableAggregationRepository {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerAggregationRepository.class);

    private final JobLedger ledger;
    private final ReplyBuffer buffer;
    private long recoveryInterval = 5000;

    public LedgerAggregationRepository(JobLedger ledger, ReplyBuffer buffer) {
        this.ledger = ledger;
        this.buffer = buffer;
    }

    @Override
    public Exchange get(CamelContext camelContext, String jobId) {
        try {
            JobRow job = buffer.job(jobId);
            int count = buffer.count(jobId);
            return job != null && count >= 0 ? handle(camelContext, job, count) : null;
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot read job " + jobId + " from the ledger", e);
        }
    }

    @Override
    public Exchange add(CamelContext camelContext, String jobId, Exchange exchange) {
        recordPending(jobId, exchange);
        return null;
    }

    @Override
    public void remove(CamelContext camelContext, String jobId, Exchange exchange) {
        recordPending(jobId, exchange);
        String by = exchange.getProperty(Collect.CLOSE_REASON, String.class);
        if (by == null) {
            by = exchange.getProperty(ExchangePropertyKey.AGGREGATED_COMPLETED_BY, "size", String.class);
        }
        try {
            // the result writer reads the ledger: everything accepted is committed with the claim
            exchange.setProperty(Collect.CLAIMED, buffer.commitAndClaim(jobId, by));
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot complete job " + jobId + " in the ledger", e);
        }
    }

    @Override
    public void confirm(CamelContext camelContext, String exchangeId) {
        // the result writer moves the job to its final status; nothing else to confirm
    }

    @Override
    public Set<String> getKeys() {
        Set<String> keys = new LinkedHashSet<>();
        try {
            ledger.inStatus(JobRow.RUNNING).forEach(j -> keys.add(j.jobId()));
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot list running jobs", e);
        }
        return keys;
    }

    @Override
    public Set<String> scan(CamelContext camelContext) {
        Set<String> ids = new LinkedHashSet<>();
        try {
            ledger.inStatus(JobRow.COMPLETING).forEach(j -> ids.add(Collect.exchangeId(j.jobId())));
        } catch (SQLException e) {
            LOG.warn("Cannot scan the ledger for jobs to recover: {}", e.getMessage());
        }
        return ids;
    }

    @Override
    public Exchange recover(CamelContext camelContext, String exchangeId) {
        String jobId = Collect.jobIdOf(exchangeId);
        JobRow job = jobId == null ? null : find(jobId);
        if (job == null || !JobRow.COMPLETING.equals(job.status())) {
            return null;
        }
        LOG.info("Recovering job {}: it completed ({}) but its result was not written yet", jobId, job.completedBy());
        Exchange exchange = handle(camelContext, job, job.done());
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_COMPLETED_BY, job.completedBy());
        exchange.setProperty(Collect.CLAIMED, true);
        return exchange;
    }

    private Exchange handle(CamelContext camelContext, JobRow job, int done) {
        Exchange exchange = new DefaultExchange(camelContext);
        exchange.setExchangeId(Collect.exchangeId(job.jobId()));
        exchange.getMessage().setHeader(Wire.JOB_ID, job.jobId());
        exchange.getMessage().setHeader(Wire.TASK_COUNT, job.total());
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_SIZE, done);
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_CORRELATION_KEY, job.jobId());
        // restores the job deadline in the aggregator's timeout map after a restart
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_TIMEOUT, Math.max(1, job.deadlineAt() - System.currentTimeMillis()));
        return exchange;
    }

    private void recordPending(String jobId, Exchange exchange) {
        TaskResult result = exchange.getProperty(Collect.PENDING_RESULT, TaskResult.class);
        if (result == null) {
            return;
        }
        exchange.removeProperty(Collect.PENDING_RESULT);
        try {
            buffer.add(jobId, result);
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot record result " + jobId + ":" + result.index(), e);
        }
    }

    private JobRow find(String jobId) {
        try {
            return ledger.find(jobId);
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot read job " + jobId + " from the ledger", e);
        }
    }

    @Override
    public void setRecoveryInterval(long interval, java.util.concurrent.TimeUnit timeUnit) {
        this.recoveryInterval = timeUnit.toMillis(interval);
    }

    @Override
    public void setRecoveryInterval(long interval) {
        this.recoveryInterval = interval;
    }

    @Override
    public long getRecoveryInterval() {
        return recoveryInterval;
    }

    @Override
    public boolean isUseRecovery() {
        return true;
    }

    @Override
    public void setUseRecovery(boolean useRecovery) {
        // recovery is what makes a crash between completion and result writing safe: always on
    }

    @Override
    public void setDeadLetterUri(String deadLetterUri) {
        // a job that cannot be written stays 'completing' and is retried; no dead letter
    }

    @Override
    public String getDeadLetterUri() {
        return null;
    }

    @Override
    public void setMaximumRedeliveries(int maximumRedeliveries) {
        // unlimited: see setDeadLetterUri
    }

    @Override
    public int getMaximumRedeliveries() {
        return 0;
    }

    @Override
    protected void doStart() {
        // the ledger is created and migrated before routes start
    }

    @Override
    protected void doStop() {
        // nothing held
    }
}
