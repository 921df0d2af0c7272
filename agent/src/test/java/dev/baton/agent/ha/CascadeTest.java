package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Whom a replica streams from with the replicatefrom tag (Patroni's _get_node_to_follow, cycle-safe). */
class CascadeTest {

    /** A member: name, state, role, its replicatefrom tag (null: none), with a conn_url unless noted. */
    static MemberStatus m(String name, String state, Role role, String replicatefrom) {
        return m(name, state, role, replicatefrom, true, false);
    }

    static MemberStatus m(String name, String state, Role role, String replicatefrom, boolean connUrl, boolean nostream) {
        Map<String, Object> tags = new HashMap<>();
        if (replicatefrom != null) {
            tags.put("replicatefrom", replicatefrom);
        }
        if (nostream) {
            tags.put("nostream", true);
        }
        return new MemberStatus(name, connUrl ? "postgres://10.0.0." + name.charAt(name.length() - 1) + ":5432/postgres" : null,
                "http://h:8008/patroni", MemberState.parse(state), role, 9, 1, tags, "t", false, false, null);
    }

    static MemberStatus replica(String name, String replicatefrom) {
        return m(name, "running", Role.REPLICA, replicatefrom);
    }

    static final MemberStatus LEADER = m("node1", "running", Role.PRIMARY, null);

    static ClusterView view(String leader, MemberStatus... members) {
        Map<String, MemberStatus> map = new LinkedHashMap<>();
        for (MemberStatus s : members) {
            map.put(s.name(), s);
        }
        return new ClusterView("1", leader, 1, map, DynamicConfig.defaults(), true, 0, null);
    }

    static Stream<Arguments> upstreams() {
        return Stream.of(
                Arguments.of("no tag: the leader", null, view("node1", LEADER, replica("node2", null), replica("node3", null)),
                        "node1", null),
                Arguments.of("a running replica: it", "node2",
                        view("node1", LEADER, replica("node2", null), replica("node3", "node2")), "node2", null),
                Arguments.of("the leader named: the leader, no fallback", "node1",
                        view("node1", LEADER, replica("node3", "node1")), "node1", null),
                Arguments.of("a member that is not there: the leader", "node9",
                        view("node1", LEADER, replica("node3", "node9")), "node1",
                        "replicatefrom member node9 is not a member of the cluster"),
                Arguments.of("a stopped member: the leader", "node2",
                        view("node1", LEADER, m("node2", "stopped", Role.REPLICA, null), replica("node3", "node2")),
                        "node1", "replicatefrom member node2 is not running (stopped)"),
                Arguments.of("a member still starting: the leader", "node2",
                        view("node1", LEADER, m("node2", "starting", Role.REPLICA, null), replica("node3", "node2")),
                        "node1", "replicatefrom member node2 is not running (starting)"),
                Arguments.of("a running primary that is not the leader: the leader", "node2",
                        view("node1", LEADER, m("node2", "running", Role.PRIMARY, null), replica("node3", "node2")),
                        "node1", "replicatefrom member node2 is not running as a replica (primary)"),
                Arguments.of("a member without conn_url: the leader", "node2",
                        view("node1", LEADER, m("node2", "running", Role.REPLICA, null, false, false),
                                replica("node3", "node2")), "node1", "replicatefrom member node2 publishes no conn_url"),
                Arguments.of("itself: the leader", "node3", view("node1", LEADER, replica("node3", "node3")), "node1",
                        "replicatefrom member node3 is this member itself"),
                Arguments.of("a two-member loop: the leader", "node2",
                        view("node1", LEADER, replica("node2", "node3"), replica("node3", "node2")), "node1",
                        "replicatefrom member node2 has a chain of replicatefrom members that loops back without reaching the leader"),
                Arguments.of("a loop further up the chain: the leader", "node2",
                        view("node1", LEADER, replica("node2", "node4"), replica("node3", "node2"),
                                replica("node4", "node5"), replica("node5", "node4")), "node1",
                        "replicatefrom member node2 has a chain of replicatefrom members that loops back without reaching the leader"),
                Arguments.of("a chain that ends at the leader: the named member", "node2",
                        view("node1", LEADER, replica("node2", "node4"), replica("node3", "node2"), replica("node4", null)),
                        "node2", null),
                Arguments.of("a chain whose upper member falls back to the leader: still the named member", "node2",
                        view("node1", LEADER, replica("node2", "node9"), replica("node3", "node2")), "node2", null),
                Arguments.of("no leader member: nothing, unless a usable member is named", null,
                        view(null, replica("node2", null), replica("node3", null)), null, null),
                Arguments.of("no leader, a running replica named: it", "node2",
                        view(null, replica("node2", null), replica("node3", "node2")), "node2", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("upstreams")
    void upstreamOfNode3(String what, String replicatefrom, ClusterView view, String expected, String fallback) {
        Cascade.Choice c = Cascade.upstream("node3", replicatefrom, view);
        assertEquals(expected, c.name(), what);
        assertEquals(fallback, c.fallback(), what);
    }

    @Test
    void bothMembersOfALoopFollowTheLeader() {
        ClusterView v = view("node1", LEADER, replica("node2", "node3"), replica("node3", "node2"));
        assertEquals("node1", Cascade.upstreamOf(v.members().get("node2"), v).name());
        assertEquals("node1", Cascade.upstreamOf(v.members().get("node3"), v).name());
    }

    @Test
    void whoStreamsFromWhom() {
        ClusterView v = view("node1", LEADER, replica("node2", null), replica("node3", "node2"),
                replica("node4", "node3"), m("node5", "running", Role.REPLICA, "node2", true, true),
                m("node6", "stopped", Role.REPLICA, null), replica("node7", "node6"));
        assertEquals(List.of("node2", "node6", "node7"), names(Cascade.streamingFrom("node1", v)),
                "node7 falls back while node6 is stopped; node5 is tagged nostream");
        assertEquals(List.of("node3"), names(Cascade.streamingFrom("node2", v)));
        assertEquals(List.of("node4"), names(Cascade.streamingFrom("node3", v)));
        assertTrue(Cascade.streamingFrom("node4", v).isEmpty());
    }

    @Test
    void aReplicaKeepsSlotsForTheMembersNamingItEvenWhileTheyFallBack() {
        ClusterView v = view("node1", LEADER, m("node2", "running", Role.REPLICA, null), replica("node3", "node2"),
                m("node4", "stopped", Role.REPLICA, "node2"), replica("node5", "node4"), replica("node6", null));
        assertEquals(List.of("node3", "node4"), names(Cascade.slotMembersOfReplica("node2", v)));
        ClusterView leaderNamesMe = view("node2", m("node2", "running", Role.PRIMARY, "node3"), replica("node3", "node2"));
        assertEquals(List.of("node3"), names(Cascade.slotMembersOfReplica("node2", leaderNamesMe)));
        assertTrue(Cascade.slotMembersOfReplica("node3", leaderNamesMe).isEmpty(), "never a slot for the leader");
    }

    @Test
    void theTagIsReadAsAString() {
        assertEquals("node2", replica("node3", " node2 ").replicatefrom());
        assertNull(replica("node3", " ").replicatefrom());
        MemberStatus number = new MemberStatus("node3", null, null, MemberState.RUNNING, Role.REPLICA, 0, 1,
                Map.of("replicatefrom", 2), null, false, false, null);
        assertNull(number.replicatefrom());
    }

    static List<String> names(List<MemberStatus> ms) {
        return ms.stream().map(MemberStatus::name).toList();
    }
}
