package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: the cluster store cannot be reached. Losing etcd is not losing a race. */
class HaLoopOutageTest {

    @Test
    void aLeaderStillSureOfItsLeaseKeepsRunning() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        h.etcd.down(true);
        h.advanceSeconds(1);
        String s = h.cycle();
        assertTrue(s.startsWith("cluster store not accessible for 1.0 s ("), s);
        assertTrue(s.endsWith("); no action as a leader whose lease is still valid"), s);
        assertTrue(h.holdsLock());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aLeaderNoLongerSureDemotesAndServesReadsAsAStandbyOfNoOne() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        h.etcd.down(true);
        h.advanceSeconds(4);
        assertEquals("demoted self because the cluster store is not accessible and I was the leader", h.cycle());
        assertEquals(List.of("stop IMMEDIATE", "configure replica of null", "start"), h.calls());
        assertEquals(List.of("stopped primary", "fenced", "started replica"), h.takeEvents());
        assertFalse(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil);
        assertFalse(h.state().pg().runningAsPrimary());
    }

    @Test
    void aReplicaWaits() {
        LoopHarness h = HaLoopReplicaTest.following();
        h.cycle();
        h.etcd.down(true);
        h.advanceSeconds(30);
        String s = h.cycle();
        assertTrue(s.endsWith("no action as a replica"), s);
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aStoppedNodeWaits() {
        LoopHarness h = new LoopHarness().initialized();
        h.pg.withData(LoopHarness.SYSID, true);
        h.etcd.down(true);
        assertTrue(h.cycle().endsWith("no action as a stopped node"));
    }

    @Test
    void aPausedLeaderIsNotDemoted() {
        LoopHarness h = HaLoopLeaderTest.leading();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, false));
        h.cycle();
        h.calls();
        h.etcd.down(true);
        h.advanceSeconds(20);
        String s = h.cycle();
        assertTrue(s.startsWith("cluster store not accessible for 20.0 s"), s);
        assertTrue(h.pg.isPrimary(), "maintenance mode: the operator is in charge");
        assertEquals(List.of(), h.calls());
    }

    @Test
    void aMemberCutOffFromEtcdAloneActsTheSame() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.etcd.cutOff(LoopHarness.ME, true);
        h.advanceSeconds(5);
        assertEquals("demoted self because the cluster store is not accessible and I was the leader", h.cycle());
    }

    @Test
    void whenEtcdIsBackTheFormerLeaderFollowsTheNewOne() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.etcd.down(true);
        h.advanceSeconds(4);
        h.cycle();
        h.etcd.down(false);
        // etcd gave every lease its ttl again; this member's agent then stays away past it.
        h.advanceSeconds(11);
        h.others.get("node1").lead();
        h.calls();
        assertEquals("following new leader node1", h.cycle());
        assertEquals(List.of("configure replica of 10.0.0.1:5432", "reload"), h.calls());
    }

    @Test
    void whenEtcdIsBackBeforeItsKeyExpiredTheFormerLeaderPromotesAgain() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.etcd.down(true);
        h.advanceSeconds(30);
        assertEquals("demoted self because the cluster store is not accessible and I was the leader", h.cycle());
        h.etcd.down(false);
        h.calls();
        assertEquals(LoopHarness.ME, h.leader(), "etcd keeps leases alive through its own outage");
        assertEquals("promoting self: I hold the leader key", h.cycle());
    }

    @Test
    void theLeaderKeyStaysWithAnOutageThatEndsBeforeTheLeaseCouldExpire() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.etcd.down(true);
        h.advanceSeconds(2);
        h.cycle();
        h.etcd.down(false);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertTrue(h.holdsLock());
    }

    @Test
    void aPromotionCutShortByTheOutageIsFencedAndStartedReadOnlyOnlyAfterwards() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.cycle();
        h.pg.standbySignal = false; // the promotion already made postgres writable
        h.etcd.down(true);
        h.advanceSeconds(5);
        assertEquals("demoted self because the cluster store is not accessible and I was the leader", h.cycle());
        assertEquals(List.of("stop IMMEDIATE"), h.calls(), "fenced at once, not restarted while the action runs");
        h.runActions();
        h.calls();
        h.advanceSeconds(1);
        assertEquals("started read-only after fencing: the cluster store is not accessible", h.cycle());
        assertEquals(List.of("configure replica of null", "start"), h.calls());
    }

    @Test
    void aStoreErrorMidCycleIsAnOutageNotALostRace() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.before("tryAcquireLeader", () -> h.etcd.down(true));
        String s = h.cycle();
        assertTrue(s.startsWith("cluster store not accessible"), s);
        assertFalse(h.holdsLock());
    }
}
