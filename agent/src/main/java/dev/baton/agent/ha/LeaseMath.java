package dev.baton.agent.ha;

import dev.baton.leader.LeaseRenewal;
import java.util.concurrent.TimeUnit;

/**
 * The safety-critical lease arithmetic, as pure functions on monotonic nanoseconds.
 *
 * <p>After a renewal sent at {@code sentAt}, this node is <em>sure</em> it holds its lease until
 * the earlier of: the moment its next renewal must have succeeded ({@code loop_wait +
 * retry_timeout} after this one was sent), and a margin before the lease can expire on the
 * server ({@code sentAt + ttl}). The REST API's /primary, the in-process fence and the fencing
 * watchdog all use this instant, so a primary stops taking writes before any other member can
 * take the key.
 */
public final class LeaseMath {
    private static final long SECOND = 1_000_000_000L;

    private LeaseMath() {
    }

    /** The instant until which the renewal {@code r} makes this node sure of its lease. */
    public static long sureUntil(LeaseRenewal r, int loopWaitSeconds, int retryTimeoutSeconds) {
        long byRetry = r.sentAtNanos() + TimeUnit.SECONDS.toNanos(loopWaitSeconds + (long) Math.max(1, retryTimeoutSeconds));
        long byLease = r.validUntilNanos() - marginNanos(r.ttlSeconds());
        return byRetry - byLease < 0 ? byRetry : byLease;
    }

    /**
     * In failsafe_mode: sure until the margin before the lease can expire on the server, without
     * the earlier retry bound, so that a cycle that finds the store down (after loop_wait and
     * retry_timeout) still has time to ask the members before the fence fires (docs/failure-modes.md).
     */
    public static long sureUntilByLease(LeaseRenewal r) {
        return r.validUntilNanos() - marginNanos(r.ttlSeconds());
    }

    /** The safety margin before the server-side expiry: a fifth of the ttl, at least one second. */
    public static long marginNanos(long ttlSeconds) {
        return Math.max(SECOND, ttlSeconds * SECOND / 5);
    }

    /** Whether {@code until} (0: not held) is still in the future at {@code now} (wrap-safe comparison). */
    public static boolean stillSure(long until, long now) {
        return until != 0 && now - until < 0;
    }

    /**
     * Whether the lock counts as mine this cycle: the leader key names me, is bound to the lease
     * I just renewed, and that renewal still makes me sure at {@code now}.
     */
    public static boolean lockIsMine(String me, String leader, long leaderLeaseId, LeaseRenewal r, long sureUntil,
                                     long now) {
        return me.equals(leader) && leaderLeaseId == r.leaseId() && stillSure(sureUntil, now);
    }

    /**
     * Until when this node holds the lock for /primary and the fences (0: it does not): not while
     * a handover gives the key away, even though the key is still ours until it is released.
     */
    public static long holdUntil(boolean lockIsMine, long sureUntil, LongAction.Running busy) {
        return lockIsMine && (busy == null || !busy.is(LongAction.HANDOVER)) ? sureUntil : 0;
    }
}
