package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the HA loop last knew, published after every cycle for the REST API and metrics.
 * Immutable; replaced as a whole.
 *
 * @param me                      who this node is
 * @param local                   its postgres as last seen
 * @param lockHolder              the leader key's holder as last read, or null
 * @param lockValidUntilNanos     monotonic instant until which this node is sure it holds the leader
 *                                key (0 if it does not hold it); the REST API compares it with "now"
 * @param lastSentence            the sentence the last cycle ended with
 * @param cluster                 the cluster view of the last successful read, or null
 * @param lastCycleNanos          monotonic instant the last cycle finished
 * @param dcsLastSeenEpochSeconds wall-clock seconds of the last successful store read
 * @param promotion               how this node's last promotion after a failover went, or null
 * @param scheduledRestart        Patroni's {@code scheduled_restart} for {@code /patroni}, or null
 */
public record NodeState(Identity me, Local local, String lockHolder, long lockValidUntilNanos, String lastSentence,
                        ClusterView cluster, long lastCycleNanos, long dcsLastSeenEpochSeconds,
                        PromotionReport promotion, java.util.Map<String, Object> scheduledRestart) {

    /** Without a scheduled restart. */
    public NodeState(Identity me, Local local, String lockHolder, long lockValidUntilNanos, String lastSentence,
                     ClusterView cluster, long lastCycleNanos, long dcsLastSeenEpochSeconds, PromotionReport promotion) {
        this(me, local, lockHolder, lockValidUntilNanos, lastSentence, cluster, lastCycleNanos, dcsLastSeenEpochSeconds,
                promotion, null);
    }

    /** With the scheduled restart as published (null: none). */
    public NodeState withScheduledRestart(java.util.Map<String, Object> scheduled) {
        return new NodeState(me, local, lockHolder, lockValidUntilNanos, lastSentence, cluster, lastCycleNanos,
                dcsLastSeenEpochSeconds, promotion, scheduled);
    }

    /** With this member's identity replaced (its tags changed by a local configuration reload). */
    public NodeState withIdentity(Identity identity) {
        return new NodeState(identity, local, lockHolder, lockValidUntilNanos, lastSentence, cluster, lastCycleNanos,
                dcsLastSeenEpochSeconds, promotion, scheduledRestart);
    }

    /**
     * This member: name, cluster, and the tags the REST API answers by.
     *
     * @param tags all of its configured {@code tags} (shown in {@code /patroni}, matched by {@code ?tag_<k>=<v>})
     */
    public record Identity(String name, String scope, boolean noloadbalance, boolean nofailover,
                           Map<String, Object> tags) {
        public Identity {
            tags = tags == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tags));
        }

        /** Without other tags. */
        public Identity(String name, String scope, boolean noloadbalance, boolean nofailover) {
            this(name, scope, noloadbalance, nofailover, Map.of());
        }
    }

    /**
     * This member's postgres.
     *
     * @param role     what postgres runs as (or, stopped, what its data directory is)
     * @param state    running, starting, stopped, creating replica, ...
     * @param pg       the server's state
     * @param systemId the data directory's system identifier, or null
     */
    public record Local(Role role, MemberState state, PgStatus pg, String systemId) {
    }

    public static NodeState initial(String name, String scope) {
        return initial(new Identity(name, scope, false, false));
    }

    public static NodeState initial(Identity me) {
        return new NodeState(me, new Local(Role.UNINITIALIZED, MemberState.STARTING, PgStatus.stopped(), null), null, 0,
                "starting up", null, 0, 0, null);
    }

    public String name() {
        return me.name();
    }

    public String scope() {
        return me.scope();
    }

    public boolean noloadbalance() {
        return me.noloadbalance();
    }

    public boolean nofailover() {
        return me.nofailover();
    }

    /** Its configured tags. */
    public Map<String, Object> tags() {
        return me.tags();
    }

    public Role role() {
        return local.role();
    }

    public MemberState state() {
        return local.state();
    }

    public PgStatus pg() {
        return local.pg();
    }

    public String systemId() {
        return local.systemId();
    }

    /** postgres has parameter changes waiting for a restart. */
    public boolean pendingRestart() {
        return local.pg().pendingRestart();
    }

    /** True while this node holds the leader key with a lease it is sure of at {@code nowNanos}. */
    public boolean holdsLock(long nowNanos) {
        return LeaseMath.stillSure(lockValidUntilNanos, nowNanos);
    }

    /** The lock-holding, running, writable primary: what /primary answers 200 for. */
    public boolean isWritablePrimary(long nowNanos) {
        return holdsLock(nowNanos) && pg().runningAsPrimary();
    }

    public boolean paused() {
        return cluster != null && cluster.dynamic().pause();
    }

    public NodeState withLocal(Local newLocal) {
        return new NodeState(me, newLocal, lockHolder, lockValidUntilNanos, lastSentence, cluster, lastCycleNanos,
                dcsLastSeenEpochSeconds, promotion, scheduledRestart);
    }

    /** With the server state replaced (e.g. read live for {@code /patroni?fresh}). */
    public NodeState withPg(PgStatus pg) {
        return withLocal(new Local(local.role(), local.state(), pg, local.systemId()));
    }

    /** At the end of a cycle: its sentence, the lock as it stands, and when. */
    public NodeState withCycle(String sentence, long validUntilNanos, long nowNanos) {
        return new NodeState(me, local, lockHolder, validUntilNanos, sentence, cluster, nowNanos,
                dcsLastSeenEpochSeconds, promotion, scheduledRestart);
    }

    /** After a successful read of the store. */
    public NodeState withCluster(ClusterView view, long validUntilNanos, long nowNanos, long epochSeconds) {
        return new NodeState(me, local, view.leader(), validUntilNanos, lastSentence, view, nowNanos, epochSeconds,
                promotion, scheduledRestart);
    }

    /** After a promotion that followed a failover: how it went. */
    public NodeState withPromotion(PromotionReport report) {
        return new NodeState(me, local, lockHolder, lockValidUntilNanos, lastSentence, cluster, lastCycleNanos,
                dcsLastSeenEpochSeconds, report, scheduledRestart);
    }
}
