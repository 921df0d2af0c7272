package dev.baton.agent.ha;

import dev.baton.leader.model.ClusterView;
import dev.baton.agent.postgres.PgStatus;

/**
 * What the HA loop last knew, published after every cycle for the REST API and metrics.
 * Immutable; replaced as a whole.
 *
 * @param name              this member
 * @param scope             the cluster
 * @param role              "primary", "replica" or "uninitialized" (what postgres runs as)
 * @param state             "running", "starting", "stopped", "creating replica", ...
 * @param pg                the server's state
 * @param lockHolder        the leader key's holder as last read, or null
 * @param lockValidUntilNanos monotonic instant until which this node is sure it holds the leader
 *                          key (0 if it does not hold it); the REST API compares it with "now"
 * @param lastSentence      the sentence the last cycle ended with
 * @param cluster           the cluster view of the last successful read, or null
 * @param lastCycleNanos    monotonic instant the last cycle finished
 * @param dcsLastSeenEpochSeconds wall-clock seconds of the last successful store read
 * @param systemId          the data directory's system identifier, or null
 * @param noloadbalance     this member's noloadbalance tag
 * @param nofailover        this member's nofailover tag
 * @param pendingRestart    postgres has parameter changes waiting for a restart
 */
public record NodeState(String name, String scope, String role, String state, PgStatus pg, String lockHolder,
                        long lockValidUntilNanos, String lastSentence, ClusterView cluster, long lastCycleNanos,
                        long dcsLastSeenEpochSeconds, String systemId, boolean noloadbalance, boolean nofailover,
                        boolean pendingRestart) {

    public static NodeState initial(String name, String scope) {
        return new NodeState(name, scope, "uninitialized", "starting", PgStatus.stopped(), null, 0,
                "starting up", null, 0, 0, null, false, false, false);
    }

    /** True while this node holds the leader key with a lease it is sure of at {@code nowNanos}. */
    public boolean holdsLock(long nowNanos) {
        return lockValidUntilNanos != 0 && nowNanos - lockValidUntilNanos < 0;
    }

    /** The lock-holding, running, writable primary: what /primary answers 200 for. */
    public boolean isWritablePrimary(long nowNanos) {
        return holdsLock(nowNanos) && pg.runningAsPrimary();
    }

    public boolean paused() {
        return cluster != null && cluster.dynamic().pause();
    }
}
