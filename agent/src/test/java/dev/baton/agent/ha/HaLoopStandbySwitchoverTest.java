package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.config.StandbyCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle through the real loop and executor: a replica of a standby cluster becomes its
 * standby leader ({@code on_role_change standby_leader}), then hands that role over in a switchover
 * ({@code on_stop standby_leader}, {@code on_role_change replica}), as Patroni's standby_cluster.feature.
 */
class HaLoopStandbySwitchoverTest {

    @Test
    void aReplicaBecomesTheStandbyLeaderAndHandsTheRoleOverInASwitchover() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.config(DynamicConfig.defaults().withStandbyCluster(StandbyCluster.of("10.9.9.9", 5432)));
        h.member("node1").wal = 0;
        h.member("node3").wal = 0;
        assertEquals("acquired the leader key: I am the standby leader now", h.cycle());
        assertEquals(List.of("role standby_leader"), h.takeEvents(), "Patroni's on_role_change standby_leader");
        h.advanceSeconds(1);
        assertEquals("following the remote primary 10.9.9.9:5432 as the standby leader", h.cycle());
        h.takeEvents();
        h.calls();
        h.advanceSeconds(1);

        h.etcd.put("failover", "{\"leader\":\"node2\",\"member\":\"node3\"}");
        assertEquals("switching over to node3 inside the standby cluster: handing the standby leader role over, "
                + "stopping gracefully", h.cycle());
        h.others.get("node3").wal = Long.MAX_VALUE / 2;
        h.runActions();
        assertEquals(List.of("stop FAST"), h.calls());
        assertNull(h.leader(), "the key is released for the candidate");
        assertEquals(List.of("stopped standby_leader", "role replica"), h.takeEvents());
        assertTrue(h.etcd.value("failover").isPresent(), "the candidate removes the request once it holds the key");
    }
}
