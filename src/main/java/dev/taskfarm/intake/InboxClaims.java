package dev.taskfarm.intake;

import java.sql.SQLException;

import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;

import dev.taskfarm.ledger.JobLedger;

/**
 * Read lock shared by every coordinator that watches the same inbox: the file consumer claims a
 * file in the ledger before it reads it (readLock=idempotent-changed), so with a shared
 * PostgreSQL ledger two coordinators never take the same file. The claim is released when the
 * file has been moved away (or processing failed), so a corrected file dropped again under the
 * same name is picked up. A restarted coordinator releases the claims of its previous life
 * (same {@code taskfarm.instance-id}, the host or pod name by default); claims of a coordinator
 * that never comes back expire after {@code taskfarm.inbox.claim-expiry}.
 */
public class InboxClaims extends ServiceSupport implements IdempotentRepository {

    private final JobLedger ledger;
    private final long expiryMs;
    private final String owner;

    public InboxClaims(JobLedger ledger, long expiryMs, String owner) {
        this.ledger = ledger;
        this.expiryMs = expiryMs;
        this.owner = owner;
    }

    @Override
    public boolean add(String key) {
        try {
            ledger.releaseClaimsOlderThan(expiryMs);
            return ledger.claim(key, owner);
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot claim inbox file " + key, e);
        }
    }

    @Override
    public boolean contains(String key) {
        try {
            return ledger.isClaimed(key);
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot read inbox claim " + key, e);
        }
    }

    @Override
    public boolean remove(String key) {
        try {
            return ledger.release(key);
        } catch (SQLException e) {
            throw new RuntimeCamelException("cannot release inbox claim " + key, e);
        }
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public void clear() {
        // claims are shared with other coordinators: never cleared wholesale
    }

    @Override
    protected void doStart() throws Exception {
        int released = ledger.releaseClaimsOf(owner);
        if (released > 0) {
            org.slf4j.LoggerFactory.getLogger(InboxClaims.class)
                    .info("Released {} inbox claims left by this coordinator's previous run ({})", released, owner);
        }
    }

    @Override
    protected void doStop() {
        // nothing held
    }
}
