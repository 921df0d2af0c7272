package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** baton topology's tree: cascaded members under their replicatefrom member, as patronictl topology shows them. */
class TopologyCommandTest {

    static MemberStatus m(String name, MemberState state, Role role, String replicatefrom) {
        return new MemberStatus(name, "postgres://10.0.0." + name.charAt(name.length() - 1) + ":5432/postgres",
                "http://h:8008/patroni", state, role, 9, 1,
                replicatefrom == null ? Map.of() : Map.of("replicatefrom", replicatefrom), "t", false, false, null);
    }

    static MemberStatus replica(String name, String replicatefrom) {
        return m(name, MemberState.RUNNING, Role.REPLICA, replicatefrom);
    }

    static ClusterView view(String leader, MemberStatus... members) {
        Map<String, MemberStatus> map = new LinkedHashMap<>();
        for (MemberStatus s : members) {
            map.put(s.name(), s);
        }
        return new ClusterView("1", leader, 1, map, DynamicConfig.defaults(), true, 0, null);
    }

    static List<String> shown(ClusterView v) {
        return TopologyCommand.lines(v).stream().map(TopologyCommand.Line::shown).toList();
    }

    static final MemberStatus LEADER = m("node1", MemberState.RUNNING, Role.PRIMARY, null);

    @Test
    void cascadedMembersAreIndentedUnderTheirUpstream() {
        ClusterView v = view("node1", LEADER, replica("node2", null), replica("node3", "node2"),
                replica("node4", "node3"), replica("node5", null));
        assertEquals(List.of("node1", "+ node2", "  + node3", "    + node4", "+ node5"), shown(v));
    }

    @Test
    void aMemberWhoseUpstreamStoppedOrLoopsHangsUnderTheLeader() {
        ClusterView stopped = view("node1", LEADER, m("node2", MemberState.STOPPED, Role.REPLICA, null),
                replica("node3", "node2"));
        assertEquals(List.of("node1", "+ node2", "+ node3"), shown(stopped));
        ClusterView loop = view("node1", LEADER, replica("node2", "node3"), replica("node3", "node2"));
        assertEquals(List.of("node1", "+ node2", "+ node3"), shown(loop));
    }

    @Test
    void withoutALeaderOnlyCascadedMembersHangUnderAnother() {
        ClusterView v = view(null, replica("node2", null), replica("node3", "node2"), replica("node4", null));
        assertEquals(List.of("node2", "+ node3", "node4"), shown(v));
    }
}
