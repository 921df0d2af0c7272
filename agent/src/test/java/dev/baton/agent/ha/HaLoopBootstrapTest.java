package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static dev.baton.agent.ha.LoopHarness.SYSID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: a new cluster, a new replica, and the data directories a node refuses. */
class HaLoopBootstrapTest {

    @Test
    void theFirstMemberWinsTheInitializeRaceAndBootstraps() {
        LoopHarness h = new LoopHarness();
        assertEquals("bootstrapping a new cluster: I won the initialize race", h.cycle());
        assertEquals("", h.etcd.value("initialize").orElseThrow(), "initialize is claimed while initdb runs");
        assertEquals(ME, h.leader());
        assertEquals(List.of(), h.calls(), "initdb runs on the long-action slot, not in the cycle");

        assertEquals(1, h.runActions());
        assertEquals(List.of("initdb", "configure primary", "start", "post_bootstrap", "ensure replication role", "bootstrap users", "checkpoint"), h.calls());
        assertEquals(SYSID, h.etcd.value("initialize").orElseThrow());
        assertEquals("[]", h.etcd.value("history").orElseThrow());
        assertTrue(h.etcd.value("config").isPresent());
        assertEquals(List.of("started primary"), h.takeEvents());
    }

    @Test
    void whileInitdbRunsTheLoopRenewsAndSaysSo() {
        LoopHarness h = new LoopHarness();
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("bootstrap (initdb) in progress", h.cycle());
        assertEquals(MemberState.INITIALIZING_NEW_CLUSTER, h.myKey().state());
        assertEquals(ME, h.leader(), "the lease was renewed");
    }

    @Test
    void afterTheBootstrapTheNextCycleIsTheLeaderWithTheLock() {
        LoopHarness h = new LoopHarness();
        h.member("node1");
        h.cycle();
        h.runActions();
        h.calls();
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertTrue(h.holdsLock());
        assertEquals(List.of("create slot node1", "synchronous_standby_names reset"), h.calls(),
                "one slot per other member; synchronous_standby_names as postgresql.conf has it (once)");
        assertEquals(Role.PRIMARY, h.myKey().role());
        assertEquals(MemberState.RUNNING, h.myKey().state());
        assertTrue(h.etcd.value("status").orElseThrow().contains("optime"));
    }

    @Test
    void aBootstrapRaceLostOnTheInitializeKey() {
        LoopHarness h = new LoopHarness();
        h.before("createInitialize", () -> h.etcd.put("initialize", ""));
        assertEquals("lost the bootstrap race: another member is initializing the cluster", h.cycle());
        assertNull(h.leader());
        assertEquals(0, h.actions.size());
    }

    @Test
    void aBootstrapRaceLostOnTheLeaderKeyGivesTheInitializeKeyBack() {
        LoopHarness h = new LoopHarness();
        LoopHarness.Other node1 = h.member("node1");
        h.before("tryAcquireLeader", () -> node1.store.tryAcquireLeader());
        assertEquals("lost the bootstrap race: another member holds the leader key", h.cycle());
        assertTrue(h.etcd.value("initialize").isEmpty(), "the initialize key this member created is deleted");
        assertEquals("node1", h.leader());
    }

    @Test
    void someoneElseBootstrapping() {
        LoopHarness h = new LoopHarness();
        h.etcd.put("initialize", "");
        assertEquals("waiting for the leader to bootstrap the cluster", h.cycle());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aFailedInitdbCleansUpSoThatTheBootstrapIsRetried() {
        LoopHarness h = new LoopHarness();
        h.pg.failOn("start");
        h.cycle();
        h.runActions();
        assertEquals(List.of("initdb", "configure primary", "start", "stop IMMEDIATE", "remove data directory"), h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty());
        assertNull(h.leader());
        h.pg.succeedOn("start");
        h.advanceSeconds(1);
        assertEquals("bootstrapping a new cluster: I won the initialize race", h.cycle());
    }

    @Test
    void aFailedPostBootstrapScriptIsUndoneLikeAFailedInitdb() {
        LoopHarness h = new LoopHarness("bootstrap: {post_bootstrap: /bin/false}\n");
        h.pg.failOn("post_bootstrap");
        h.cycle();
        h.runActions();
        assertEquals(List.of("initdb", "configure primary", "start", "post_bootstrap", "stop IMMEDIATE",
                "remove data directory"), h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty(), "the initialize key is released for a retry");
        assertNull(h.leader());
        assertTrue(h.etcd.value("config").isEmpty());
    }

    static final String CLONE = "bootstrap: {method: clone, clone: {command: /bin/clone.sh, recovery_conf: "
            + "{restore_command: 'cp /a/%f %p'}}}\n";

    @Test
    void aCustomMethodMakesTheDirectoryRecoversAndRegistersTheNewCluster() {
        LoopHarness h = new LoopHarness(CLONE);
        h.pg.recoveryPolls = 3;
        assertEquals("bootstrapping a new cluster by the custom bootstrap method clone: I won the initialize race",
                h.cycle());
        assertEquals("", h.etcd.value("initialize").orElseThrow());
        assertEquals(1, h.runActions());
        assertEquals(List.of("custom bootstrap", "start", "finish custom bootstrap", "post_bootstrap",
                "ensure replication role", "bootstrap users", "checkpoint"), h.calls());
        assertEquals(SYSID, h.etcd.value("initialize").orElseThrow());
        assertEquals(List.of("started primary"), h.takeEvents());
    }

    @Test
    void whileTheCustomMethodRunsPostgresBeingDownDoesNotCount() {
        LoopHarness h = new LoopHarness(CLONE);
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("custom bootstrap clone in progress", h.cycle());
        assertEquals(MemberState.INITIALIZING_NEW_CLUSTER, h.myKey().state());
        assertTrue(LongAction.CUSTOM_BOOTSTRAP.stopsPostgresOnPurpose());
    }

    @Test
    void aFailedCustomMethodIsUndoneSoThatTheBootstrapIsRetried() {
        LoopHarness h = new LoopHarness(CLONE);
        h.pg.failOn("custom bootstrap");
        h.cycle();
        h.runActions();
        assertEquals(List.of("custom bootstrap", "stop IMMEDIATE", "remove data directory"), h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty());
        assertNull(h.leader());
    }

    @Test
    void aNofailoverMemberLeavesTheBootstrapToOthers() {
        LoopHarness h = new LoopHarness("tags: {nofailover: true}\n");
        assertEquals("waiting for the leader to bootstrap the cluster (I am tagged nofailover)", h.cycle());
        assertTrue(h.etcd.value("initialize").isEmpty());
    }

    @Test
    void anEmptyMemberClonesFromTheRunningLeader() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        assertEquals("cloning a replica from leader node1", h.cycle());
        assertEquals(MemberState.CREATING_REPLICA, h.myKey().state());
        assertEquals(1, h.runActions());
        assertEquals(List.of("basebackup 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"), h.calls());
        assertEquals(List.of("started replica"), h.takeEvents());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
        assertEquals(Role.REPLICA, h.myKey().role());
    }

    @Test
    void theCloneInProgressIsReported() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("clone from node1 in progress", h.cycle());
        assertEquals(MemberState.CREATING_REPLICA, h.state().state());
    }

    @Test
    void aFailedCloneIsTriedAgain() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        h.pg.failOn("basebackup");
        h.cycle();
        h.runActions();
        h.pg.succeedOn("basebackup");
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1", h.cycle());
    }

    @Test
    void noCloneFromALeaderThatIsNotRunning() {
        LoopHarness h = new LoopHarness().initialized();
        LoopHarness.Other node1 = h.member("node1").lead();
        node1.state = MemberState.STARTING;
        node1.publish();
        assertEquals("waiting for leader node1 to be running before cloning", h.cycle());
        assertEquals(0, h.actions.size());
    }

    @Test
    void noCloneWithoutALeader() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1");
        assertEquals("waiting for a leader to clone from: the cluster has no leader", h.cycle());
    }

    @Test
    void anotherClustersDataDirectoryIsRefusedAndLeftAlone() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        h.pg.withData("6999999999999999999", false);
        HaLoop.FatalException e = assertThrows(HaLoop.FatalException.class, h::cycle);
        assertTrue(e.getMessage().contains("belongs to database system 6999999999999999999"), e.getMessage());
        assertEquals(List.of(), h.calls(), "nothing touched");
    }

    @Test
    void anExistingPrimaryDirectoryWithoutClusterKeysIsAdopted() {
        LoopHarness h = new LoopHarness();
        h.pg.withData(SYSID, false);
        assertEquals("taking over an existing primary data directory as the new cluster", h.cycle());
        assertEquals(SYSID, h.etcd.value("initialize").orElseThrow());
        assertEquals(ME, h.leader());
        assertTrue(h.etcd.value("config").isPresent());
        h.advanceSeconds(1);
        assertEquals("starting postgres as the primary: I hold the leader key", h.cycle());
    }

    @Test
    void aReplicaDirectoryWithoutClusterKeysWaitsForItsPrimary() {
        LoopHarness h = new LoopHarness();
        h.pg.withData(SYSID, true);
        h.etcd.put("initialize", SYSID);
        h.etcd.delete("initialize");
        assertEquals("the cluster has no initialize key; waiting for its primary", h.cycle());
        assertFalse(h.holdsLock());
    }
}
