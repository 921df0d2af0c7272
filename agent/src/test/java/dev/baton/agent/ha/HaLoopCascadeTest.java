package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: cascading replication. This member (node2) tagged {@code replicatefrom: node3}
 * streams from node3 while node3 runs as a replica, re-points at the leader node1 when node3 stops
 * and back when it returns; a replica keeps a slot for each member cascading from it.
 */
class HaLoopCascadeTest {

    static LoopHarness cascaded(String upstream) {
        LoopHarness h = new LoopHarness("tags: {replicatefrom: node3}\n").initialized().replicaData(upstream);
        h.member("node1").lead();
        h.member("node3");
        return h;
    }

    @Test
    void aStoppedReplicaStartsStreamingFromItsReplicatefromMember() {
        LoopHarness h = new LoopHarness("tags: {replicatefrom: node3}\n").initialized();
        h.pg.withData(LoopHarness.SYSID, true);
        h.member("node1").lead();
        h.member("node3");
        assertEquals("starting as a replica of node1", h.cycle());
        h.runActions();
        assertEquals(List.of("configure replica of 10.0.0.3:5432", "start"), h.calls());
        assertEquals("node3", h.myKey().tags().get("replicatefrom"), "the tag is published in the member key");
    }

    @Test
    void aReplicaRepointsAtItsUpstreamThenAtTheLeaderWhenTheUpstreamStopsAndBackWhenItReturns() {
        LoopHarness h = cascaded("10.0.0.1:5432");
        assertEquals("streaming from node3 (tagged replicatefrom) instead of leader node1", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.3:5432", "reload"), h.calls());
        assertEquals("no action: I am a secondary and I am replicating from node3 (tagged replicatefrom), leader node1",
                h.cycle());
        assertEquals(List.of(), h.calls());

        LoopHarness.Other node3 = h.others.get("node3");
        node3.state = MemberState.STOPPED;
        node3.publish();
        assertEquals("following leader node1: replicatefrom member node3 is not running (stopped)", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.1:5432", "reload"), h.calls());

        node3.die();
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());

        h.member("node3").state = MemberState.RUNNING;
        h.member("node3");
        assertEquals("streaming from node3 (tagged replicatefrom) instead of leader node1", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.3:5432", "reload"), h.calls());
    }

    @Test
    void aReplicaKeepsASlotForEachMemberCascadingFromItAndDropsOnlyItsOwn() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.pg.slots.add("pg_receivewal_slot");
        LoopHarness.Other node3 = h.member("node3");
        node3.tags = Map.of("replicatefrom", "node2");
        node3.publish();
        LoopHarness.Other node4 = h.member("node4");
        node4.tags = Map.of("replicatefrom", "node2", "nostream", true);
        node4.publish();
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
        assertEquals(List.of("create slot node3"), h.calls());
        assertEquals(Set.of("node3", "pg_receivewal_slot"), h.pg.slots);

        node3.tags = Map.of();
        node3.publish();
        h.cycle();
        assertEquals(List.of("drop slot node3"), h.calls());
        assertEquals(Set.of("pg_receivewal_slot"), h.pg.slots, "a slot Baton did not create stays");
    }

    @Test
    void aCascadedReplicaClonedAnewStreamsFromItsUpstream() {
        LoopHarness h = new LoopHarness("tags: {replicatefrom: node3}\n").initialized();
        h.member("node1").lead();
        h.member("node3");
        assertTrue(h.cycle().startsWith("cloning a replica from leader node1"));
        h.runActions();
        assertTrue(h.calls().contains("configure replica of 10.0.0.3:5432"), "streams from node3 once cloned");
        assertEquals(Role.REPLICA, h.others.get("node3").role);
    }
}
