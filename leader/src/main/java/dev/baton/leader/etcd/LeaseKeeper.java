package dev.baton.leader.etcd;

import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.StoreUnavailableException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;

import java.util.Optional;
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
    /** Moves this member's keys bound to lease {@code from} onto lease {@code to}, within the call. */
    @FunctionalInterface
    interface KeyMover {
        void move(Client client, long from, long to, Deadline deadline);
    }

    private final String memberName;
    private final KeepAliveStream keepAlives = new KeepAliveStream();

    private final Object leaseLock = new Object();
    private volatile long leaseId;
    private long ttlSeconds;                // guarded by leaseLock: the TTL to ask for
    private long leaseTtlSeconds;           // guarded by leaseLock: the TTL the current lease was asked with
    private boolean unreportedNewLease;     // guarded by leaseLock

    /**
     * @param sentAtTicker the clock of {@link LeaseRenewal#sentAtNanos()}: the HA loop compares it
     *                     with its own ticker, so it is the caller's
     */
    LeaseKeeper(EtcdConnection connection, LongSupplier sentAtTicker, String memberName, long ttlSeconds) {
        this.connection = connection;
        this.sentAtTicker = sentAtTicker;
        this.memberName = memberName;
        synchronized (leaseLock) {
            this.ttlSeconds = ttlSeconds;
        }
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
                    LeaseKeepAliveResponse r = connection.await(c, () -> keepAlives.send(c, id), d,
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

    /**
     * Makes {@code ttl} the TTL of this store's lease. Without a lease, the next grant uses it.
     * Otherwise, when the current lease was granted with another TTL: grants a lease with
     * {@code ttl}, lets {@code mover} move the keys bound to the current lease onto it (each by a
     * transaction, so a key bound to the old lease until then is bound to the new one from then
     * on), makes it current and revokes the old one. Returns the new lease as a renewal whose
     * {@code sentAtNanos} precedes the grant, or empty when nothing was re-granted.
     *
     * <p>If moving fails, whether a move was applied is unknown: the old lease stays current and
     * the new one is left to expire (revoking it could delete a key that did move), and the next
     * call tries again. The next {@link #renew()} reports {@code newLease} so the member key is
     * written again on the lease now current.
     */
    Optional<LeaseRenewal> retime(long ttl, KeyMover mover) {
        if (ttl < 1) {
            throw new IllegalArgumentException("ttl must be at least 1, got " + ttl);
        }
        synchronized (leaseLock) {
            ttlSeconds = ttl;
            long old = leaseId;
            if (old == 0 || leaseTtlSeconds == ttl) {
                return Optional.empty();
            }
            Deadline d = connection.deadline();
            Client c = connection.client();
            long sentAt = sentAtTicker.getAsLong();
            LeaseGrantResponse granted = connection.await(c, () -> c.getLeaseClient().grant(ttl), d, "lease grant");
            long fresh = granted.getID();
            try {
                mover.move(c, old, fresh, d);
            } catch (StoreUnavailableException e) {
                LOG.warning(() -> "could not move the keys of " + memberName + " to the new etcd lease "
                        + Long.toHexString(fresh) + " (ttl " + ttl + " s); keeping lease " + Long.toHexString(old)
                        + " and trying again: " + e.getMessage());
                throw e;
            }
            leaseId = fresh;
            leaseTtlSeconds = ttl;
            unreportedNewLease = true;
            try {
                connection.await(c, () -> c.getLeaseClient().revoke(old), d, "lease revoke");
            } catch (StoreUnavailableException e) {
                // Nothing of ours is bound to it any more: it expires on its own.
                LOG.fine(() -> "revoking the old etcd lease " + Long.toHexString(old) + " failed: " + e.getMessage());
            }
            LOG.info(() -> "moved the keys of " + memberName + " to etcd lease " + Long.toHexString(fresh) + " (ttl "
                    + granted.getTTL() + " s) and revoked lease " + Long.toHexString(old));
            return Optional.of(new LeaseRenewal(fresh, granted.getTTL(), sentAt, false));
        }
    }

    /** Grants a new lease and makes it current. Caller holds leaseLock. */
    private LeaseGrantResponse grant(Client c, Deadline d) {
        long ttl = ttlSeconds;
        LeaseGrantResponse r = connection.await(c, () -> c.getLeaseClient().grant(ttl), d, "lease grant");
        long previous = leaseId;
        leaseId = r.getID();
        leaseTtlSeconds = ttl;
        LOG.info(() -> "granted etcd lease " + Long.toHexString(r.getID()) + " (ttl " + r.getTTL() + " s) to "
                + memberName + (previous != 0 ? ", replacing " + Long.toHexString(previous) : ""));
        return r;
    }
}
