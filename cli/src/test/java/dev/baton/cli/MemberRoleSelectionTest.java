package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --role of restart, reload, flush, query and dsn as patronictl's get_all_members reads it (standby-leader too). */
class MemberRoleSelectionTest {

    /** node1 holds the key with {@code leaderRole}; node2 is a replica. */
    private static ClusterView view(String leaderRole) {
        Map<String, MemberStatus> members = new LinkedHashMap<>();
        members.put("node1", MemberStatus.parse("node1", "{\"state\":\"running\",\"role\":\"" + leaderRole + "\"}"));
        members.put("node2", MemberStatus.parse("node2", "{\"state\":\"running\",\"role\":\"replica\"}"));
        return new ClusterView("1", "node1", 1, members, DynamicConfig.defaults(), true, 0, null);
    }

    private static List<String> select(ClusterView v, String role) {
        MemberSelection s = new MemberSelection();
        s.role = role;
        return s.select(v, "demo").stream().map(MemberStatus::name).toList();
    }

    @Test
    void restartAndReloadRolesInAStandbyCluster() {
        ClusterView standby = view("standby_leader");
        assertEquals(List.of("node1"), select(standby, "standby-leader"));
        assertEquals(List.of("node1"), select(standby, "leader"));
        assertEquals(List.of(), select(standby, "primary"), "a standby leader is no primary");
        assertEquals(List.of("node2"), select(standby, "replica"));
        assertEquals(List.of("node2", "node1"), select(standby, "any"));
        ClusterView primary = view("primary");
        assertEquals(List.of(), select(primary, "standby-leader"), "a primary is no standby leader");
        assertEquals(List.of("node1"), select(primary, "master"));
        assertEquals(List.of("node1"), select(primary, "leader"));
    }

    @Test
    void theAgentChecksOnlyPrimaryAndReplicaItself() {
        MemberSelection s = new MemberSelection();
        s.role = "standby-leader";
        assertNull(s.agentRole(), "the selection alone decides: the agent knows no standby-leader filter");
        s.role = "leader";
        assertNull(s.agentRole());
        s.role = "master";
        assertEquals("primary", s.agentRole());
        s.role = "king";
        ExitException e = assertThrows(ExitException.class, s::role);
        assertEquals(2, e.code());
        assertEquals("no standby-leader member to restart", none("standby-leader"));
    }

    private static String none(String role) {
        MemberSelection s = new MemberSelection();
        s.role = role;
        return s.none("restart");
    }

    @Test
    void queryAndDsnChooseTheStandbyLeader() {
        assertEquals("node1", MemberChoice.choose(view("standby_leader"), "demo", "standby-leader", null).name());
        assertEquals("node1", MemberChoice.choose(view("standby_leader"), "demo", null, null).name(), "default: leader");
        ExitException e = assertThrows(ExitException.class,
                () -> MemberChoice.choose(view("standby_leader"), "demo", "primary", null));
        assertEquals(1, e.code());
        assertThrows(ExitException.class, () -> MemberChoice.choose(view("primary"), "demo", "standby-leader", null));
    }
}
