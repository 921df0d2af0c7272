package dev.baton.agent.ha;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Cascading replication as pure functions (Patroni's {@code replicatefrom} tag, {@code
 * Ha._get_node_to_follow}): whom a replica streams from, and which members stream from a member.
 *
 * <p>A replica tagged {@code replicatefrom: X} streams from X when X is usable: running, with a
 * conn_url, and either the leader or a replica whose own chain of upstreams ends at the leader.
 * Otherwise (X missing, stopped, a primary that is not the leader, this member itself, or a chain
 * that loops back: a→b→a) it streams from the leader, and it returns to X once X is usable again.
 * Patroni follows the named member whenever its key exists; Baton also checks that it runs as a
 * replica, so a cascaded replica is never left without an upstream and no cycle forms.
 */
public final class Cascade {

    private Cascade() {
    }

    /**
     * The member to stream from.
     *
     * @param member   the member key to stream from (the leader's or the replicatefrom member's),
     *                 empty when the cluster has no leader member
     * @param fallback why the replicatefrom member is not used (the leader is streamed from
     *                 instead), or null: it is used, or none is named
     */
    public record Choice(Optional<MemberStatus> member, String fallback) {
        /** The chosen member's name, or null. */
        public String name() {
            return member.map(MemberStatus::name).orElse(null);
        }

        /** Whether a replicatefrom member other than the leader was chosen. */
        public boolean cascaded(ClusterView view) {
            return member.isPresent() && !member.get().name().equals(view.leader());
        }
    }

    /**
     * Whom {@code me}, tagged {@code replicatefrom} (null or blank: not tagged), streams from in
     * {@code view}: the replicatefrom member when usable, else the leader.
     */
    public static Choice upstream(String me, String replicatefrom, ClusterView view) {
        Optional<MemberStatus> leader = view.leaderMember();
        if (replicatefrom == null || replicatefrom.isBlank() || replicatefrom.equals(view.leader())) {
            return new Choice(leader, null);
        }
        String problem = problem(me, replicatefrom, view);
        if (problem == null) {
            Set<String> seen = new HashSet<>(List.of(me, replicatefrom));
            if (!reachesLeader(replicatefrom, view, seen)) {
                problem = "has a chain of replicatefrom members that loops back without reaching the leader";
            }
        }
        return problem == null ? new Choice(view.member(replicatefrom), null)
                : new Choice(leader, "replicatefrom member " + HaDecider.printable(replicatefrom) + " " + problem);
    }

    /** Whom member {@code m} streams from, by the same rules, as every agent decides it for itself. */
    public static Choice upstreamOf(MemberStatus m, ClusterView view) {
        return upstream(m.name(), m.replicatefrom(), view);
    }

    /**
     * The members that stream from {@code upstream} (nostream members excluded: they stream from no
     * one), in the view's order. For the leader: those that follow it directly; for a replica: those
     * that cascade from it.
     */
    public static List<MemberStatus> streamingFrom(String upstream, ClusterView view) {
        List<MemberStatus> out = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(upstream) && !m.nostream() && upstream.equals(upstreamOf(m, view).name())) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * The members a replica keeps a physical slot for, as Patroni's replicas do: those tagged
     * {@code replicatefrom} this member (whether they stream from it right now or fell back to the
     * leader for a while, so that they find their slot when they come back), except the leader.
     */
    public static List<MemberStatus> slotMembersOfReplica(String me, ClusterView view) {
        List<MemberStatus> out = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(me) && !m.name().equals(view.leader()) && me.equals(m.replicatefrom())) {
                out.add(m);
            }
        }
        return out;
    }

    /** Why {@code name} cannot be streamed from by {@code me}, or null. */
    private static String problem(String me, String name, ClusterView view) {
        if (name.equals(me)) {
            return "is this member itself";
        }
        Optional<MemberStatus> m = view.member(name);
        if (m.isEmpty()) {
            return "is not a member of the cluster";
        }
        if (!m.get().isRunning()) {
            return "is not running (" + m.get().state().wire() + ")";
        }
        if (m.get().host() == null) {
            return "publishes no conn_url";
        }
        if (!name.equals(view.leader()) && m.get().role() != Role.REPLICA) {
            return "is not running as a replica (" + m.get().role().wire() + ")";
        }
        return null;
    }

    /**
     * Whether {@code name}'s chain of upstreams ends at the leader: it is the leader, it follows the
     * leader (no usable replicatefrom member), or its replicatefrom member's chain does; a member
     * met twice is a loop.
     */
    private static boolean reachesLeader(String name, ClusterView view, Set<String> seen) {
        if (name.equals(view.leader())) {
            return true;
        }
        String next = view.member(name).map(MemberStatus::replicatefrom).orElse(null);
        if (next == null || next.isBlank() || next.equals(view.leader()) || problem(name, next, view) != null) {
            return true; // it follows the leader itself
        }
        if (!seen.add(next)) {
            return false;
        }
        return reachesLeader(next, view, seen);
    }
}
