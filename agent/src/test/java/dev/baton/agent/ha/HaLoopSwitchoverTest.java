package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.MemberState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: planned switchovers on the leader, immediate and scheduled. */
class HaLoopSwitchoverTest {

    static LoopHarness leadingWithRequest(String failoverJson) {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        h.etcd.put("failover", failoverJson);
        return h;
    }

    @Test
    void theLeaderHandsOverOnceTheCandidateHasTheShutdownCheckpoint() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        assertEquals("switching over to node3: demoting self gracefully", h.cycle());
        assertFalse(h.holdsLock(), "/primary stops answering before postgres stops");
        assertEquals(0, h.watchdog.armedUntil);
        assertEquals(ME, h.leader(), "the key is kept until the candidate has everything");
        h.others.get("node3").wal = h.pg.wal + 100;
        h.runActions();
        assertEquals(List.of("stop FAST"), h.calls());
        assertNull(h.leader(), "released");
        assertEquals(List.of("stopped primary", "role replica"), h.takeEvents());
        assertTrue(h.etcd.value("failover").isPresent(), "the candidate removes the request once it leads");
    }

    @Test
    void whileHandingOverTheLeaseIsRenewedButTheLockIsNotHeld() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("switchover to node3 in progress", h.cycle());
        assertFalse(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil, "no fencing of a primary that is stopping on purpose");
        assertEquals(ME, h.leader());
        assertEquals(MemberState.STOPPED, h.myKey().state());
    }

    @Test
    void withoutAConfirmationTheKeyIsReleasedAfterHalfTheTtl() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        h.cycle();
        long before = h.nanos.get();
        h.others.get("node3").wal = 0;
        h.runActions();
        assertNull(h.leader());
        assertTrue(h.nanos.get() - before >= 5 * LoopHarness.SECOND, "waited ttl/2 (on the fake clock)");
    }

    @Test
    void aSwitchoverToAnyReplica() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\"}");
        assertEquals("switching over to the best replica: demoting self gracefully", h.cycle());
        h.advanceSeconds(1);
        assertEquals("switchover to the best replica in progress", h.cycle());
    }

    @Test
    void aScheduledSwitchoverWaitsForItsTime() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\","
                + "\"scheduled_at\":\"2026-12-01T12:01:00+00:00\"}");
        String s = h.cycle();
        assertEquals("no action: I am the leader with the lock; switchover to node3 scheduled at 2026-12-01T12:01Z", s);
        assertTrue(h.holdsLock());
        assertEquals("switching over to node3: demoting self gracefully", h.cycleUntil("switching over", 70));
        assertFalse(h.clock.instant().isBefore(java.time.Instant.parse("2026-12-01T12:01:00Z")), "not early");
    }

    @Test
    void aStaleScheduledSwitchoverIsRemoved() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\","
                + "\"scheduled_at\":\"2026-12-01T11:00:00+00:00\"}");
        assertEquals("removing a stale switchover request scheduled at 2026-12-01T11:00Z", h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
        assertTrue(h.holdsLock());
    }

    @Test
    void aSwitchoverToAStoppedMemberIsCancelled() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        LoopHarness.Other node3 = h.others.get("node3");
        node3.state = MemberState.STOPPED;
        node3.publish();
        assertEquals("switchover cancelled: node3 is not a running replica that may take over", h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
        assertEquals(List.of(), h.calls(), "postgres keeps running");
    }

    @Test
    void aSwitchoverToANofailoverMemberIsCancelled() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        LoopHarness.Other node3 = h.others.get("node3");
        node3.tags = java.util.Map.of("nofailover", true);
        node3.publish();
        assertEquals("switchover cancelled: node3 is not a running replica that may take over", h.cycle());
    }

    @Test
    void inSynchronousModeASwitchoverToAnAsynchronousReplicaIsCancelled() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        h.config(HaLoopFailoverTest.synchronous());
        h.etcd.put("sync", "{\"leader\":\"node2\",\"sync_standby\":\"node1\"}");
        assertEquals("switchover cancelled: node3 is not a synchronous standby (synchronous_mode)", h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
    }

    static dev.baton.config.DynamicConfig paused() {
        dev.baton.config.DynamicConfig d = dev.baton.config.DynamicConfig.defaults();
        return new dev.baton.config.DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), true, false);
    }

    @Test
    void inPauseOnlyASwitchoverToANamedCandidateRuns() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\"}");
        h.config(paused());
        assertEquals("switchover cancelled: in a paused state a switchover is possible only to a specific candidate",
                h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
        assertTrue(h.holdsLock());
        h.etcd.put("failover", "{\"leader\":\"node2\",\"member\":\"node3\"}");
        assertEquals("switching over to node3: demoting self gracefully", h.cycle());
        // In pause the loop would not start postgres again: the handover itself follows the new leader.
        h.others.get("node3").wal = h.pg.wal + 100;
        h.calls();
        h.runActions();
        assertEquals(List.of("stop FAST", "configure replica of 10.0.0.3:5432", "start"), h.calls());
    }

    @Test
    void aSwitchoverWithNobodyToTakeOverIsCancelled() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\"}");
        for (String n : List.of("node1", "node3")) {
            LoopHarness.Other o = h.others.get(n);
            o.state = MemberState.STOPPED;
            o.publish();
        }
        assertEquals("switchover cancelled: no running replica may take over", h.cycle());
    }

    @Test
    void aRequestForAnotherLeaderIsRemoved() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node9\",\"member\":\"node3\"}");
        assertEquals("removing a switchover request for leader node9: I am the leader", h.cycle());
        assertTrue(h.etcd.value("failover").isEmpty());
    }

    @Test
    void theFormerLeaderComesBackAsAReplicaOfTheCandidate() {
        LoopHarness h = leadingWithRequest("{\"leader\":\"node2\",\"member\":\"node3\"}");
        h.cycle();
        h.others.get("node3").wal = h.pg.wal + 100;
        h.runActions();
        h.calls();
        h.others.get("node3").lead();
        h.advanceSeconds(1);
        assertEquals("starting as a replica of node3 after rewinding my former primary data", h.cycle());
        h.runActions();
        assertEquals(List.of("check rewind 10.0.0.3:5432", "configure replica of 10.0.0.3:5432", "start"), h.calls());
    }
}
