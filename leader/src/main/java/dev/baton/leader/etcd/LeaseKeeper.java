package dev.baton.leader.etcd;

import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.StoreUnavailableException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;

import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The one lease of a store (Patroni's {@code etcd3.py}: {@code _do_refresh_lease}).
 *
 * <p>Granted lazily: by {@link #renew()}, or by {@link #withLease} when a write must be bound to
 * it. Renewed only by {@link #renew()}, a single keep-alive per call and never a background
 * stream, so a hung HA loop loses its lease. When a lease has to be granted outside
 * {@link #renew()} (there was none, or etcd answered "lease not found"), the next
 * {@link #renew()} reports {@code newLease=true} so the caller learns that keys bound to the old
 * lease are gone.
 */
final class LeaseKeeper {

    private static final Logger LOG = Logger.getLogger(EtcdClusterStore.class.getName());

    /** A request bound to the lease {@code leaseId}, within the call's deadline. */
    @FunctionalInterface
    interface LeaseBound<T> {
        T run(Client client, long leaseId, Deadline deadline);
    }

    private final EtcdConnection connection;
    private final LongSupplier sentAtTicker;
    private final String memberName;
    private final long ttlSeconds;

    private final Object leaseLock = new Object();
    private volatile long leaseId;
    private boolean unreportedNewLease;     // guarded by leaseLock

    /**
     * @param sentAtTicker the clock of {@link LeaseRenewal#sentAtNanos()}: the HA loop compares it
     *                     with its own ticker, so it is the caller's
     */
    LeaseKeeper(EtcdConnection connection, LongSupplier sentAtTicker, String memberName, long ttlSeconds) {
        this.connection = connection;
        this.sentAtTicker = sentAtTicker;
        this.memberName = memberName;
        this.ttlSeconds = ttlSeconds;
    }

    /** The current lease, 0 before the first grant. */
    long id() {
        return leaseId;
    }

    /**
     * Renews the lease once, granting a new one if there is none or etcd no longer knows it.
     * {@code sentAtNanos} is read from the ticker before the request is sent.
     */
    LeaseRenewal renew() {
        synchronized (leaseLock) {
            Deadline d = connection.deadline();
            Client c = connection.client();
            long id = leaseId;
            if (id != 0) {
                long sentAt = sentAtTicker.getAsLong();
                try {
                    LeaseKeepAliveResponse r = connection.await(c, () -> c.getLeaseClient().keepAliveOnce(id), d,
                            "lease keep-alive");
                    boolean fresh = unreportedNewLease;
                    unreportedNewLease = false;
                    return new LeaseRenewal(id, r.getTTL(), sentAt, fresh);
                } catch (StoreUnavailableException e) {
                    if (!EtcdErrors.isLeaseNotFound(e.getCause())) {
                        throw e;
                    }
                    LOG.warning(() -> "etcd lease " + Long.toHexString(id) + " of " + memberName
                            + " has expired; granting a new one");
                }
            }
            long sentAt = sentAtTicker.getAsLong();
            LeaseGrantResponse granted = grant(c, d);
            unreportedNewLease = false;
            return new LeaseRenewal(granted.getID(), granted.getTTL(), sentAt, true);
        }
    }

    /**
     * Runs {@code request} bound to the current lease (granted first if there is none), within one
     * call deadline. If etcd answers that the lease is gone, grants a new one and runs it once more.
     */
    <T> T withLease(LeaseBound<T> request) {
        synchronized (leaseLock) {
            Deadline d = connection.deadline();
            Client c = connection.client();
            long id = leaseId;
            if (id == 0) {
                id = grant(c, d).getID();
                unreportedNewLease = true;
            }
            try {
                return request.run(c, id, d);
            } catch (StoreUnavailableException e) {
                if (!EtcdErrors.isLeaseNotFound(e.getCause())) {
                    throw e;
                }
                id = grant(c, d).getID();
                unreportedNewLease = true;
                return request.run(c, id, d);
            }
        }
    }

    /** Grants a new lease and makes it current. Caller holds leaseLock. */
    private LeaseGrantResponse grant(Client c, Deadline d) {
        LeaseGrantResponse r = connection.await(c, () -> c.getLeaseClient().grant(ttlSeconds), d, "lease grant");
        long previous = leaseId;
        leaseId = r.getID();
        LOG.info(() -> "granted etcd lease " + Long.toHexString(r.getID()) + " (ttl " + r.getTTL() + " s) to "
                + memberName + (previous != 0 ? ", replacing " + Long.toHexString(previous) : ""));
        return r;
    }
}
