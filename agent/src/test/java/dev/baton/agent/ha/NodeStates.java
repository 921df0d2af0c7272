package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;

/** Builds {@link NodeState}s for tests by name, field by field. */
public final class NodeStates {
    private String name = "node1";
    private String scope = "demo";
    private Role role = Role.REPLICA;
    private MemberState state = MemberState.RUNNING;
    private PgStatus pg = PgStatus.stopped();
    private String lockHolder;
    private long lockValidUntil;
    private String sentence = "no action";
    private ClusterView cluster;
    private long lastCycle;
    private long dcsSeen;
    private String systemId;
    private boolean noloadbalance;
    private boolean nofailover;
    private java.util.Map<String, Object> tags = java.util.Map.of();

    public static NodeStates node(String name) {
        NodeStates b = new NodeStates();
        b.name = name;
        return b;
    }

    public static NodeStates from(NodeState s) {
        NodeStates b = new NodeStates();
        b.name = s.name();
        b.scope = s.scope();
        b.role = s.role();
        b.state = s.state();
        b.pg = s.pg();
        b.lockHolder = s.lockHolder();
        b.lockValidUntil = s.lockValidUntilNanos();
        b.sentence = s.lastSentence();
        b.cluster = s.cluster();
        b.lastCycle = s.lastCycleNanos();
        b.dcsSeen = s.dcsLastSeenEpochSeconds();
        b.systemId = s.systemId();
        b.noloadbalance = s.noloadbalance();
        b.nofailover = s.nofailover();
        b.tags = s.tags();
        return b;
    }

    public NodeStates scope(String v) { scope = v; return this; }
    public NodeStates role(Role v) { role = v; return this; }
    public NodeStates state(MemberState v) { state = v; return this; }
    public NodeStates pg(PgStatus v) { pg = v; return this; }
    public NodeStates lock(String holder, long validUntilNanos) { lockHolder = holder; lockValidUntil = validUntilNanos; return this; }
    public NodeStates sentence(String v) { sentence = v; return this; }
    public NodeStates cluster(ClusterView v) { cluster = v; return this; }
    public NodeStates lastCycle(long v) { lastCycle = v; return this; }
    public NodeStates dcsSeen(long v) { dcsSeen = v; return this; }
    public NodeStates systemId(String v) { systemId = v; return this; }
    public NodeStates noloadbalance(boolean v) { noloadbalance = v; return this; }
    public NodeStates nofailover(boolean v) { nofailover = v; return this; }
    public NodeStates tags(java.util.Map<String, Object> v) { tags = v; return this; }

    public NodeState build() {
        return new NodeState(new NodeState.Identity(name, scope, noloadbalance, nofailover, tags),
                new NodeState.Local(role, state, pg, systemId), lockHolder, lockValidUntil, sentence, cluster, lastCycle,
                dcsSeen, null);
    }
}
