package dev.baton.leader;

/**
 * The result of one lease renewal.
 *
 * @param leaseId      the lease now owned
 * @param ttlSeconds   the TTL the server granted (may exceed what was asked: etcd has a minimum)
 * @param sentAtNanos  monotonic time taken before the request was sent
 * @param newLease     true if the old lease was gone and a new one was granted: anything bound to
 *                     the old lease (leader key, member key) has been deleted by the server
 */
public record LeaseRenewal(long leaseId, long ttlSeconds, long sentAtNanos, boolean newLease) {
    /** Monotonic instant before which the lease certainly has not expired on the server. */
    public long validUntilNanos() {
        return sentAtNanos + ttlSeconds * 1_000_000_000L;
    }
}
