package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig.ReplicaMethod;
import dev.baton.config.StandbyCluster;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts of the standby cluster besides the decider: roles, methods, the remote member. */
class StandbyClusterPartsTest {
    private static final DynamicConfig STANDBY = DynamicConfig.defaults()
            .withStandbyCluster(StandbyCluster.of("10.0.0.1", 5433));

    private static ClusterView view(DynamicConfig d, String leader) {
        ClusterSnapshot snap = new ClusterSnapshot(1, null, null, new LeaderKey(leader, 7, 1, 1), Map.of(), null, null,
                null, null);
        return new ClusterView("1", leader, 7, Map.of(), d, true, 0, snap);
    }

    @Test
    void theKeyHoldingReplicaOfAStandbyClusterIsItsStandbyLeader() {
        assertEquals(Role.STANDBY_LEADER, MemberPublisher.standbyLeader(Role.REPLICA, view(STANDBY, "me"), "me", 42));
        assertEquals(Role.REPLICA, MemberPublisher.standbyLeader(Role.REPLICA, view(STANDBY, "me"), "me", 0),
                "not while the lock is not held");
        assertEquals(Role.REPLICA, MemberPublisher.standbyLeader(Role.REPLICA, view(STANDBY, "node1"), "me", 42));
        assertEquals(Role.REPLICA, MemberPublisher.standbyLeader(Role.REPLICA, view(DynamicConfig.defaults(), "me"),
                "me", 42), "a primary cluster has no standby leader");
        assertEquals(Role.PRIMARY, MemberPublisher.standbyLeader(Role.PRIMARY, view(STANDBY, "me"), "me", 42));
    }

    @Test
    void theStandbyClustersMethodsResolveAgainstTheNodes() {
        assertEquals(List.of(ReplicaMethod.BASEBACKUP), RepositoryActions.standbyMethods(List.of(), List.of()));
        assertEquals(List.of(ReplicaMethod.BACKUP, ReplicaMethod.BASEBACKUP),
                RepositoryActions.standbyMethods(List.of("backup", "unknown", "basebackup"), List.of()));
    }

    @Test
    void theRemotePrimaryAsAMemberToCloneFrom() {
        MemberStatus remote = DecisionExecutor.remoteMember(STANDBY.standbyCluster());
        assertEquals("10.0.0.1", remote.host());
        assertEquals(5433, remote.port());
        assertEquals("the remote primary 10.0.0.1:5433", remote.name());
        assertEquals(null, DecisionExecutor.remoteMember(new StandbyCluster(null, 5432, null, List.of(), "cp", null,
                null)));
    }
}
