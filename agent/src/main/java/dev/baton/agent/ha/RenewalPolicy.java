package dev.baton.agent.ha;

import dev.baton.leader.LeaseRenewal;

/**
 * When the HA loop renews its lease: a pure function of the last renewal and what this cycle read.
 *
 * <p>The leader (and whoever might become it) renews every cycle, so the sure-until of
 * {@link LeaseMath} and the fences built on it are exactly as before. A replica following
 * another member's leader key needs its lease only for its member key, so it renews only once a
 * third of the TTL has passed since its last renewal: its lease never has less than two thirds of
 * the TTL left when a cycle runs on time, and etcd sees one keep-alive per {@code ttl/3} seconds
 * from it instead of one per cycle (docs/architecture.md, "Lease renewal").
 */
public final class RenewalPolicy {

    private RenewalPolicy() {
    }

    /**
     * Whether this cycle must renew.
     *
     * @param last           the last renewal (null: none yet)
     * @param currentLeaseId the store's lease now ({@code ClusterStore#leaseId()}): a lease granted
     *                       since {@code last} (by a write) must be reported as new by a renewal
     * @param me             this member's name
     * @param leader         the leader key's holder this cycle read (null: none)
     * @param leaderLeaseId  the leader key's lease
     * @param lockHeld       whether this node held the lock after its last cycle
     * @param nowNanos       the loop's monotonic now
     */
    public static boolean mustRenew(LeaseRenewal last, long currentLeaseId, String me, String leader,
                                    long leaderLeaseId, boolean lockHeld, long nowNanos) {
        if (last == null || lockHeld || leader == null || me.equals(leader)) {
            return true;   // not yet renewed, the leader, or a leaderless cluster someone may take
        }
        if (currentLeaseId != last.leaseId() || leaderLeaseId == last.leaseId()) {
            return true;   // a new lease to report, or the leader key is on ours (a repair to make)
        }
        return nowNanos - last.sentAtNanos() >= replicaIntervalNanos(last.ttlSeconds());
    }

    /** A replica renews once this much has passed since its last renewal: a third of the TTL. */
    public static long replicaIntervalNanos(long ttlSeconds) {
        return Math.max(1, ttlSeconds) * 1_000_000_000L / 3;
    }
}
