package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.MemberState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: the member tags as Patroni reads them. failover_priority (0 never promotes, the
 * higher goes first on a tie), nostream (no primary_conninfo, no slot on the leader, never
 * synchronous), clonefrom (new replicas copy from it) and nosync.
 */
class HaLoopTagsTest {

    /** node1 led and died; this member (tagged {@code tags}) and node3 are replicas at the same position. */
    static LoopHarness leaderless(String tags) {
        LoopHarness h = new LoopHarness(tags).initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.member("node3");
        h.cycle();
        h.calls();
        h.others.get("node1").die();
        return h;
    }

    // ---------------------------------------------------------------- failover_priority

    @Test
    void aFailoverPriorityZeroReplicaDoesNotTakeTheLeaderKeyWhenTheLeaderIsGone() {
        LoopHarness h = leaderless("tags: {failover_priority: 0}\n");
        for (int i = 0; i < 5; i++) {
            assertEquals("no action: the cluster has no leader and I am tagged nofailover", h.cycle());
            h.runActions();
            h.advanceSeconds(1);
        }
        assertNull(h.leader());
        assertFalse(h.calls().contains("promote"));
        assertEquals(0, h.myKey().failoverPriority(), "the member key publishes the tag as given");
        assertEquals(0, h.myKey().tags().get("failover_priority"));
    }

    @Test
    void nofailoverFalseWinsOverFailoverPriorityZeroAsInPatroni() {
        LoopHarness h = leaderless("tags: {nofailover: false, failover_priority: 0}\n");
        h.others.get("node3").wal(0x2000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
    }

    @Test
    void aPeerWithFailoverPriorityZeroFurtherAheadNeitherCompetesNorVetoes() {
        LoopHarness h = leaderless("");
        LoopHarness.Other node3 = h.others.get("node3");
        node3.tags = Map.of("failover_priority", 0);
        node3.wal(0x5000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
    }

    @Test
    void onATieTheHigherFailoverPriorityGoesFirst() {
        LoopHarness h = leaderless("tags: {failover_priority: 1}\n");
        LoopHarness.Other node3 = h.others.get("node3");
        node3.tags = Map.of("failover_priority", 2);
        node3.publish();
        assertEquals("not taking over: node3 is as far as I am and goes first", h.cycle());
        assertNull(h.leader());

        LoopHarness mine = leaderless("tags: {failover_priority: 3}\n");
        mine.others.get("node3").tags = Map.of("failover_priority", 2);
        mine.others.get("node3").publish();
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, mine.cycle());
    }

    // ---------------------------------------------------------------- nostream

    @Test
    void aNostreamReplicaIsClonedButHasNoPrimaryConninfo() {
        LoopHarness h = new LoopHarness("tags: {nostream: true}\n").initialized();
        h.member("node1").lead();
        assertEquals("cloning a replica from leader node1", h.cycle());
        assertEquals(1, h.runActions());
        assertEquals(List.of("basebackup 10.0.0.1:5432", "configure replica of null", "start"), h.calls());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary tagged nostream; I do not stream from leader node1 "
                + "(WAL comes from the archive only)", h.cycle());
        assertEquals(List.of(), h.calls(), "no re-pointing at the leader");
        assertTrue((Boolean) h.myKey().tags().get("nostream"));
    }

    @Test
    void aStreamingReplicaTaggedNostreamStopsStreaming() {
        LoopHarness h = new LoopHarness("tags: {nostream: true}\n").initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        assertEquals("not streaming from leader node1: I am tagged nostream", h.cycle());
        assertEquals(List.of("configure replica of null", "reload"), h.calls());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary tagged nostream; I do not stream from leader node1 "
                + "(WAL comes from the archive only)", h.cycle());
    }

    @Test
    void aStoppedNostreamReplicaStartsWithoutPrimaryConninfo() {
        LoopHarness h = new LoopHarness("tags: {nostream: true}\n").initialized();
        h.pg.withData(LoopHarness.SYSID, true);
        h.member("node1").lead();
        assertEquals("starting as a replica of node1", h.cycle());
        h.runActions();
        assertEquals(List.of("configure replica of null", "start"), h.calls());
    }

    @Test
    void theLeaderKeepsNoSlotForANostreamMemberAndNeverMakesItSynchronous() {
        LoopHarness h = HaLoopLeaderTest.leading();
        LoopHarness.Other node3 = h.others.get("node3");
        node3.tags = Map.of("nostream", true);
        node3.publish();
        h.pg.slots.add("node3");
        h.config(HaLoopFailoverTest.synchronous());
        h.pg.replication.add(new PgStatus.Replica("node3", "10.0.0.3", "streaming", "async", 900, 900, 900, 0.0));
        h.pg.replication.add(new PgStatus.Replica("node1", "10.0.0.1", "streaming", "async", 100, 100, 100, 0.0));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        List<String> calls = h.calls();
        assertTrue(calls.contains("create slot node1"), calls.toString());
        assertFalse(calls.contains("drop slot node3"), "kept member_slots_ttl, as a gone member's: " + calls);
        assertFalse(calls.contains("create slot node3"), calls.toString());
        assertTrue(calls.contains("synchronous_standby_names 'FIRST 1 (\"node1\")'"), calls.toString());
    }

    // ---------------------------------------------------------------- nosync

    @Test
    void theLeaderNeverMakesANosyncMemberSynchronous() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.others.get("node3").tags = Map.of("nosync", true);
        h.others.get("node3").publish();
        h.config(HaLoopFailoverTest.synchronous());
        h.pg.replication.add(new PgStatus.Replica("node3", "10.0.0.3", "streaming", "async", 900, 900, 900, 0.0));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        List<String> calls = h.calls();
        assertTrue(calls.contains("synchronous_standby_names ''"), calls.toString());
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow());
    }

    // ---------------------------------------------------------------- clonefrom

    @Test
    void aNewReplicaClonesFromTheClonefromMemberAndStreamsFromTheLeader() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        LoopHarness.Other node3 = h.member("node3");
        node3.tags = Map.of("clonefrom", true);
        node3.publish();
        assertEquals("cloning a replica from node3 (tagged clonefrom)", h.cycle());
        h.advanceSeconds(1);
        assertEquals("clone from node3 in progress", h.cycle());
        assertEquals(1, h.runActions());
        assertEquals(List.of("basebackup 10.0.0.3:5432", "configure replica of 10.0.0.1:5432", "start"), h.calls());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
    }

    @Test
    void theMostAdvancedRunningClonefromMemberIsChosen() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        for (String n : List.of("node3", "node4", "node5")) {
            h.member(n).tags = Map.of("clonefrom", true);
        }
        h.others.get("node3").wal(0x4000000L);
        h.others.get("node4").wal(0x5000000L);
        LoopHarness.Other node5 = h.others.get("node5");
        node5.state = MemberState.STOPPED;
        node5.wal(0x9000000L);
        assertEquals("cloning a replica from node4 (tagged clonefrom)", h.cycle());
    }

    @Test
    void withoutARunningClonefromMemberTheLeaderIsTheSource() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        LoopHarness.Other node3 = h.member("node3");
        node3.tags = Map.of("clonefrom", true);
        node3.state = MemberState.STARTING;
        node3.publish();
        assertEquals("cloning a replica from leader node1", h.cycle());
        h.runActions();
        assertEquals(List.of("basebackup 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"), h.calls());
    }
}
