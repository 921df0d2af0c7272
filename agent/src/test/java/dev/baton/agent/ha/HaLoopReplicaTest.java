package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: a replica following, re-pointing, demoting, and coming back by rewind or re-clone. */
class HaLoopReplicaTest {

    /** node1 leads; this member runs as its replica. */
    static LoopHarness following() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        return h;
    }

    @Test
    void aReplicaFollowingTheLeaderDoesNothing() {
        LoopHarness h = following();
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
        assertEquals(List.of(), h.calls());
        assertEquals(Role.REPLICA, h.myKey().role());
        assertEquals(MemberState.RUNNING, h.myKey().state());
        assertFalse(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil, "the watchdog is armed only on the leader");
    }

    @Test
    void aNewLeaderIsFollowedByAReloadWithoutARestart() {
        LoopHarness h = following();
        h.cycle();
        h.others.get("node1").die();
        h.member("node3").lead();
        assertEquals("following new leader node3", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.3:5432", "reload"), h.calls());
    }

    @Test
    void aPrimaryWhileAnotherHoldsTheKeyDemotesAtOnce() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        h.member("node1").lead();
        assertEquals("demoting self: node1 holds the leader key", h.cycle());
        assertEquals(List.of("stop IMMEDIATE"), h.calls());
        assertEquals(List.of("stopped primary", "role replica"), h.takeEvents());
        assertFalse(h.holdsLock());
    }

    @Test
    void aDemotedPrimaryComesBackAsAReplicaWhenNoRewindIsNeeded() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        h.member("node1").lead();
        h.cycle();
        h.calls();
        h.advanceSeconds(1);
        assertEquals("starting as a replica of node1 after rewinding my former primary data", h.cycle());
        assertEquals(MemberState.REWINDING, h.myKey().state());
        h.runActions();
        assertEquals(List.of("check rewind 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"), h.calls());
        assertEquals(List.of("stopped primary", "role replica", "started replica"), h.takeEvents());
    }

    @Test
    void aDivergedFormerPrimaryKeepsItsWalRecordsTheRangeAndRewinds() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        h.member("node1").lead();
        h.pg.rewindCheck = new RewindCheck(true, 0x3000000L, 1, "servers diverged at WAL location 0/3000000 on timeline 1");
        h.pg.wal = 0x3000400L;
        assertEquals("starting as a replica of node1 after rewinding my former primary data", h.cycle());
        h.runActions();
        assertEquals(List.of("check rewind 10.0.0.1:5432", "keep wal 1 0/3000000", "rewind 10.0.0.1:5432",
                "configure replica of 10.0.0.1:5432", "start"), h.calls());
        String history = h.etcd.value("history").orElseThrow();
        assertTrue(history.contains("node2 discarded WAL 0/3000000 to 0/3000400 of timeline 1 (kept in data.diverged)"),
                history);
    }

    @Test
    void withoutPgRewindADivergedMemberStaysDownAndSaysWhy() {
        LoopHarness h = new LoopHarness("", "use_pg_rewind: false").initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        h.member("node1").lead();
        h.pg.rewindCheck = new RewindCheck(true, 0x3000000L, 1, "diverged");
        h.cycle();
        h.runActions();
        assertEquals(List.of("check rewind 10.0.0.1:5432"), h.calls());
        h.advanceSeconds(1);
        String s = h.cycle();
        assertTrue(s.startsWith("not starting postgres: pg_rewind from node1 failed (the data directory diverged "
                + "from node1 at 0/3000000 on timeline 1 and use_pg_rewind is off)"), s);
        assertEquals(MemberState.REWIND_FAILED, h.myKey().state());
        assertEquals(List.of(), h.calls(), "postgres stays down");
    }

    @Test
    void aFailedRewindIsTriedAgainAgainstTheNextLeader() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        h.member("node1").lead();
        h.pg.rewindCheck = new RewindCheck(true, 0x3000000L, 1, "diverged");
        h.pg.failOn("rewind");
        h.cycle();
        h.runActions();
        h.advanceSeconds(1);
        assertTrue(h.cycle().startsWith("not starting postgres: pg_rewind from node1 failed"));
        h.others.get("node1").die();
        h.member("node3").lead();
        h.pg.succeedOn("rewind");
        assertEquals("starting as a replica of node3 after rewinding my former primary data", h.cycle());
    }

    @Test
    void aFailedRewindWithRemoveDataDirectoryOnRewindFailureClonesAgain() {
        LoopHarness h = new LoopHarness("", "remove_data_directory_on_rewind_failure: true").initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        h.member("node1").lead();
        h.pg.rewindCheck = new RewindCheck(true, 0x3000000L, 1, "diverged");
        h.pg.failOn("rewind");
        h.cycle();
        h.runActions();
        assertTrue(h.calls().contains("remove data directory"));
        assertTrue(h.dataDirIsAbsent());
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1", h.cycle());
    }

    @Test
    void aReplicaThatWentPastTheForkPointStopsToRewind() {
        LoopHarness h = following();
        h.etcd.put("history", "[[1,50331648,\"no recovery target specified\",\"2026-12-01T11:00:00+00:00\",\"node1\"]]");
        LoopHarness.Other node1 = h.others.get("node1");
        node1.timeline = 2;
        node1.publish();
        h.pg.wal = 0x3000400L;
        assertEquals("stopping to rewind: my timeline 1 went past the point where node1's history left it", h.cycle());
        assertEquals(List.of("stop FAST"), h.calls());
        h.advanceSeconds(1);
        assertEquals("starting as a replica of node1 after rewinding my former primary data", h.cycle());
    }

    @Test
    void aFormerPrimaryWaitsForTheNewLeadersCheckpointBeforeRewinding() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        LoopHarness.Other node1 = h.member("node1").lead();
        node1.checkpointAfterPromote = false;
        node1.publish();
        assertEquals("waiting for leader node1 to checkpoint after its promotion before rewinding", h.cycle());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aFormerPrimaryWaitsForANewLeaderThenStartsReadOnlyAfterTtl() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, false);
        h.member("node1");
        assertEquals("waiting for a new leader before starting my former primary data", h.cycle());
        h.advanceSeconds(11);
        assertEquals("starting as a read-only replica: the cluster has no leader", h.cycle());
        h.runActions();
        assertEquals(List.of("configure replica of null", "start"), h.calls());
    }

    @Test
    void aStoppedReplicaStartsFollowingTheLeader() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, true);
        h.member("node1").lead();
        assertEquals("starting as a replica of node1", h.cycle());
        assertEquals(MemberState.STARTING, h.myKey().state());
        h.runActions();
        assertEquals(List.of("configure replica of 10.0.0.1:5432", "start"), h.calls());
    }

    @Test
    void aStaleLeaderKeyOfMyPreviousRunIsLeftToExpireOnAReplica() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        LoopHarness.Other previousRun = h.new Other(LoopHarness.ME, "10.0.0.2");
        previousRun.store.renewLease();
        previousRun.store.tryAcquireLeader();
        assertEquals("waiting for my stale leader key to expire", h.cycle());
        assertFalse(h.holdsLock());
    }

    @Test
    void aPrimaryWhoseKeyIsOnAnotherLeaseOfMineDemotes() {
        LoopHarness h = new LoopHarness().initialized().replicaData(null);
        LoopHarness.Other previousRun = h.new Other(LoopHarness.ME, "10.0.0.2");
        previousRun.store.renewLease();
        previousRun.store.tryAcquireLeader();
        h.pg.standbySignal = false;
        // The key names me but is not on my lease, and postgres runs as a primary: the reclaim
        // path applies (my own previous run), not a demotion.
        assertEquals("reclaiming my leader key from my previous run: my postgres is the primary", h.cycle());
        assertEquals(LoopHarness.ME, h.leader());
        assertEquals(h.store.leaseId(), h.etcd.leaderLease(), "the key is now on this run's lease");
        assertTrue(h.holdsLock());
    }

    @Test
    void aReinitializeWipesAReplicaWhichThenClonesAgain() {
        LoopHarness h = following();
        h.cycle();
        OperatorPolicy.Result r = h.operatorNow().reinitialize();
        assertEquals(200, r.status(), r.message());
        assertEquals(List.of("stop FAST", "remove data directory"), h.calls());
        h.actions.immediate = false;
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1", h.cycle());
    }

    @Test
    void aReinitializeKeepsTheDataWhenTheLeaderIsGoneOnceTheStopIsDone() throws Exception {
        LoopHarness h = following();
        h.cycle();
        java.util.concurrent.CompletableFuture<OperatorPolicy.Result> asked =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> h.operator().reinitialize());
        while (h.actions.size() == 0 && !asked.isDone()) {
            Thread.onSpinWait();
        }
        // The leader dies while this replica's postgres is being stopped; a cycle sees it gone.
        h.others.get("node1").die();
        h.advanceSeconds(1);
        assertEquals("reinitialize in progress", h.cycle());
        h.runActions();
        OperatorPolicy.Result r = asked.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(503, r.status(), r.message());
        assertTrue(r.message().contains("the cluster lost its leader while postgres stopped; the data directory was kept"),
                r.message());
        assertEquals(List.of("stop FAST"), h.calls(), "no remove data directory");
    }

    @Test
    void theLeaderRefusesToReinitialize() {
        LoopHarness h = HaLoopLeaderTest.leading();
        assertEquals(503, h.loop.operatorActions().reinitialize().status());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aRestartOfAReplicaKeepsItsUpstream() {
        LoopHarness h = following();
        h.cycle();
        OperatorPolicy.Result r = h.operatorNow().restart("replica", false, java.time.Duration.ofSeconds(5));
        assertEquals(200, r.status(), r.message());
        assertEquals(List.of("stop FAST", "configure replica of 10.0.0.1:5432", "start"), h.calls());
        assertEquals(List.of("stopped for restart replica", "restarted replica"), h.takeEvents());
    }

    @Test
    void aRestartForAnotherRoleIsRefused() {
        LoopHarness h = following();
        h.cycle();
        OperatorPolicy.Result r = h.operator().restart("primary", false, java.time.Duration.ofSeconds(5));
        assertEquals(412, r.status());
        assertEquals("restart conditions are not satisfied: this member is replica, not primary", r.message());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void anOperatorActionWaitsForTheLongActionInProgress() {
        LoopHarness h = new LoopHarness().initialized();
        h.member("node1").lead();
        h.cycle();
        OperatorPolicy.Result r = h.operator().reinitialize();
        assertEquals(503, r.status());
        assertEquals("clone from node1 is in progress; try again later", r.message());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aReloadRewritesTheConfigurationForTheCurrentRole() {
        LoopHarness h = following();
        h.cycle();
        OperatorPolicy.Result r = h.operatorNow().reload();
        assertEquals(202, r.status(), r.message());
        assertEquals(List.of("configure replica of 10.0.0.1:5432", "reload"), h.calls());
        assertEquals(List.of("reloaded replica"), h.takeEvents());
    }

    /** Issue 19: a replica following a leader renews its lease (its member key's) every ttl/3, not every cycle. */
    @Test
    void aReplicaFollowingRenewsItsLeaseEveryThirdOfTheTtl() {
        LoopHarness h = following();   // the cluster's ttl is 10 s; cycles here run every second
        for (int i = 0; i < 30; i++) {
            assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
            h.advanceSeconds(1);
        }
        // ttl/3 = 3.3 s: at 0, 4, 8, ..., 28 s instead of 30 times.
        assertEquals(8, h.storeCalls.get("renewLease"));
        assertEquals(30, h.storeCalls.get("read"));
        assertEquals(1, h.storeCalls.get("publishMember"), "the member key is put only when it changes");
    }

    /** The leader key gone: every member that may take it renews in that very cycle. */
    @Test
    void aLeaderlessClusterRenewsBeforeTakingTheKey() {
        LoopHarness h = following();
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(1, h.storeCalls.get("renewLease"));
        h.others.get("node1").die();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(2, h.storeCalls.get("renewLease"), "renewed in the cycle that found no leader");
    }
}
