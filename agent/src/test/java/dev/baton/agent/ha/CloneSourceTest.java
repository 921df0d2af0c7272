package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which member a new replica clones from (Patroni's clone_member, made deterministic). */
class CloneSourceTest {

    static MemberStatus m(String name, String state, long wal, Map<String, Object> tags, boolean connUrl) {
        return new MemberStatus(name, connUrl ? "postgres://10.0.0." + name.charAt(name.length() - 1) + ":5432/postgres" : null,
                "http://h:8008/patroni", MemberState.parse(state), Role.REPLICA, wal, 1, tags, "t", false, false, null);
    }

    static ClusterView view(String leader, MemberStatus... members) {
        Map<String, MemberStatus> map = new LinkedHashMap<>();
        for (MemberStatus s : members) {
            map.put(s.name(), s);
        }
        return new ClusterView("1", leader, 1, map, DynamicConfig.defaults(), true, 0, null);
    }

    static Optional<String> pick(String me, ClusterView v) {
        return CloneSource.clonefrom(me, v).map(MemberStatus::name);
    }

    static final Map<String, Object> CLONEFROM = Map.of("clonefrom", true);

    @Test
    void withoutClonefromMembersTheLeaderIsTheSource() {
        assertTrue(pick("node2", view("node1", m("node1", "running", 9, Map.of(), true),
                m("node3", "running", 9, Map.of(), true))).isEmpty());
    }

    @Test
    void theMostAdvancedRunningClonefromMemberThenTheFirstName() {
        ClusterView v = view("node1", m("node1", "running", 99, CLONEFROM, true),
                m("node3", "running", 50, CLONEFROM, true), m("node5", "running", 70, CLONEFROM, true),
                m("node4", "running", 70, CLONEFROM, true), m("node6", "stopped", 90, CLONEFROM, true),
                m("node7", "running", 95, CLONEFROM, false), m("node8", "running", 98, Map.of("clonefrom", false), true));
        assertEquals(Optional.of("node4"), pick("node2", v),
                "not the leader, not stopped, not without conn_url, not clonefrom false; 70 then by name");
    }

    @Test
    void neverMyself() {
        ClusterView v = view("node1", m("node1", "running", 9, Map.of(), true), m("node2", "running", 9, CLONEFROM, true));
        assertTrue(pick("node2", v).isEmpty());
    }

    @Test
    void aStringTagCountsAsPatroniReadsIt() {
        ClusterView v = view("node1", m("node1", "running", 9, Map.of(), true),
                m("node3", "streaming", 9, Map.of("clonefrom", "true"), true));
        assertEquals(Optional.of("node3"), pick("node2", v));
    }
}
