package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: the leader race after the leader's key expired, and synchronous mode. */
class HaLoopFailoverTest {
    /** The sentence of the cycle that took the key after node1's lease expired (fence before promote). */
    static final String FENCING_NODE1 = "promoting self: I acquired the leader key; fencing node1 first";

    /** node1 led and died; this member and node3 are replicas at the same position. */
    static LoopHarness leaderless() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.member("node3");
        h.cycle();
        h.others.get("node1").die();
        return h;
    }

    static DynamicConfig synchronous() {
        DynamicConfig d = DynamicConfig.defaults();
        return new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), false, true);
    }

    @Test
    void theHealthiestReplicaWinsTheRaceAndPromotes() {
        LoopHarness h = leaderless();
        h.others.get("node3").wal(0x2000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
        assertTrue(h.holdsLock());
        assertEquals(List.of(), h.calls(), "the promotion runs on the long-action slot");
        h.runActions();
        assertEquals(List.of("synchronous_standby_names reset", "promote", "create slot node3"), h.calls());
        assertEquals(List.of("role primary"), h.takeEvents());
        String history = h.etcd.value("history").orElseThrow();
        assertTrue(history.contains("[1,50331648,\"no recovery target specified; node1 unreachable, not fenced\""),
                history);
        assertTrue(history.endsWith("\"node2\"]]"), history);
    }

    @Test
    void theRestApiSaysWritablePrimaryTheMomentRecoveryEndsBeforeTheServerIsReadAgain() {
        LoopHarness h = leaderless();
        h.cycle();
        List<Boolean> writableAtReadsAfterPromote = new java.util.ArrayList<>();
        h.pg.beforeStatus = () -> {
            if (h.pg.calls.contains("promote")) {
                writableAtReadsAfterPromote.add(h.state().isWritablePrimary(h.nanos.get()));
            }
        };
        assertFalse(h.state().isWritablePrimary(h.nanos.get()));
        h.runActions();
        assertFalse(writableAtReadsAfterPromote.isEmpty(), "the server is read after the promotion");
        assertEquals(Boolean.TRUE, writableAtReadsAfterPromote.get(0),
                "/primary answers 200 before the first query after the end of recovery");
        assertTrue(h.state().isWritablePrimary(h.nanos.get()));
        assertEquals(2, h.state().pg().timeline(), "then the server's own answer: the new timeline");
    }

    @Test
    void aFreshlyPromotedLeaderSaysSoUntilItsCheckpointIsDone() {
        LoopHarness h = leaderless();
        h.cycle();
        h.runActions();
        h.calls();
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(Boolean.FALSE, h.myKey().checkpointAfterPromote(), "former primaries wait before they rewind");
        assertEquals(1, h.background.runAll());
        assertEquals(List.of("checkpoint"), h.calls());
        h.cycle();
        assertNull(h.myKey().checkpointAfterPromote());
    }

    @Test
    void aPromotionInProgressIsReported() {
        LoopHarness h = leaderless();
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("promoting: fencing node1 (over sql)", h.cycle(), "fencing first (fence before promote)");
        assertTrue(h.holdsLock(), "the lease is renewed while the old primary is fenced");
    }

    @Test
    void aReplicaAheadOfMeWinsTheRace() {
        LoopHarness h = leaderless();
        h.others.get("node3").wal(0x4000000L);
        assertEquals("not taking over: node3 is ahead of me (67108864 > 50331648)", h.cycle());
        assertNull(h.leader());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void anUnreachablePeerCountsWithItsPublishedPosition() {
        LoopHarness h = leaderless();
        LoopHarness.Other node3 = h.others.get("node3").wal(0x4000000L);
        node3.reachable = false;
        assertEquals("not taking over: node3 is ahead of me (67108864 > 50331648) by its last published position",
                h.cycle());
    }

    @Test
    void onATieTheLaterNameGivesWay() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.member("node0");
        h.cycle();
        h.others.get("node1").die();
        assertEquals("not taking over: node0 is as far as I am and goes first", h.cycle());
    }

    @Test
    void aPeerStillRunningAsPrimaryVetoes() {
        LoopHarness h = leaderless();
        h.others.get("node3").role = Role.PRIMARY;
        assertEquals("not taking over: node3 is still running as a primary", h.cycle());
    }

    @Test
    void aReplicaTooFarBehindTheLastLeaderPositionDoesNotRun() {
        LoopHarness h = leaderless();
        h.etcd.put("status", "{\"optime\":" + (0x3000000L + 2 * 1048576) + "}");
        assertEquals("not taking over: my WAL position is 2097152 bytes behind the last leader position, more than "
                + "maximum_lag_on_failover (1048576)", h.cycle());
    }

    @Test
    void theRaceLostInEtcdIsNotAnOutage() {
        LoopHarness h = leaderless();
        h.before("tryAcquireLeader", () -> h.others.get("node3").store.tryAcquireLeader());
        assertEquals("lost the leader race: another member took the leader key", h.cycle());
        assertEquals("node3", h.leader());
        assertFalse(h.holdsLock());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aNofailoverReplicaNeverRaces() {
        LoopHarness h = new LoopHarness("tags: {nofailover: true}\n").initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.cycle();
        h.others.get("node1").die();
        assertEquals("no action: the cluster has no leader and I am tagged nofailover", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void pausedNobodyRaces() {
        LoopHarness h = leaderless();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, false));
        assertEquals("no action: paused, and the cluster has no leader", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void aPromotionThatFailsLeavesTheReplicaRunningAndTheKeyHeld() {
        LoopHarness h = leaderless();
        h.pg.failOn("promote");
        h.cycle();
        h.runActions();
        h.advanceSeconds(1);
        assertEquals("promoting self: I hold the leader key", h.cycle(), "the next cycle tries again");
    }

    // ------------------------------------------------------------------ synchronous mode

    @Test
    void inSynchronousModeOnlyTheListedStandbyMayRace() {
        LoopHarness h = leaderless();
        h.config(synchronous());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node3\"}");
        assertEquals("no action: the cluster has no leader and I am not a synchronous standby "
                + "(synchronous_mode: only node1, node3 may take over)", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void theSynchronousStandbyTakesOverAndClaimsTheSyncKeyFirst() {
        LoopHarness h = leaderless();
        h.config(synchronous());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node2\"}");
        h.others.get("node3").wal(0x5000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle(),
                "node3 is ahead but asynchronous: it neither competes nor vetoes");
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow());
        h.runActions();
        assertEquals(List.of("synchronous_standby_names ''", "promote", "create slot node3"), h.calls(),
                "commits are not left waiting for a standby named by the old primary");
    }

    @Test
    void theLeaderNamesAStreamingStandbyAndListsItOnceConfirmed() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.config(synchronous());
        h.pg.replication.add(new PgStatus.Replica("node3", "10.0.0.3", "streaming", "async", 100, 100, 100, 0.0));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertTrue(h.calls().contains("synchronous_standby_names 'FIRST 1 (\"node3\")'"));
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow());
        h.pg.replication.set(0, new PgStatus.Replica("node3", "10.0.0.3", "streaming", "sync", 100, 100, 100, 0.0));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node3\"}", h.etcd.value("sync").orElseThrow(),
                "listed only after postgres reports it synchronous");
    }

    @Test
    void synchronousModeTurnedOffRemovesTheSyncKey() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.etcd.put("sync", "{\"leader\":\"node2\",\"sync_standby\":\"node3\"}");
        h.cycle();
        assertTrue(h.etcd.value("sync").isEmpty());
    }

    @Test
    void theRequestedCandidateTakesOverWithoutARace() {
        LoopHarness h = leaderless();
        h.etcd.put("failover", "{\"leader\":\"node1\",\"member\":\"node2\"}");
        h.others.get("node3").wal(0x5000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
        h.runActions();
        h.advanceSeconds(1);
        assertEquals("the requested take-over by me is complete: removing the request", h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
    }

    @Test
    void theOthersWaitForTheRequestedCandidate() {
        LoopHarness h = leaderless();
        h.etcd.put("failover", "{\"leader\":\"node1\",\"member\":\"node3\"}");
        assertEquals("waiting for node3, the requested candidate, to take over", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void aRequestedCandidateOutsideTheSyncKeyDoesNotTakeOver() {
        LoopHarness h = leaderless();
        h.config(synchronous());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node3\"}");
        h.etcd.put("failover", "{\"member\":\"node2\"}");
        assertEquals("not taking over as the requested candidate: I am not a synchronous standby (synchronous_mode)",
                h.cycle());
    }

    @Test
    void aNewLeaderBecomesTheUpstreamOfTheOthers() {
        LoopHarness h = leaderless();
        h.before("tryAcquireLeader", () -> h.others.get("node3").lead());
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("following new leader node3", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.3:5432", "reload"), h.calls());
        assertEquals(MemberState.RUNNING, h.myKey().state());
        assertEquals(Role.REPLICA, h.myKey().role());
    }
}
