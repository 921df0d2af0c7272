package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.config.SlotsConfig;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: the leader's duties, its lock and fences, a crashed primary and losing the key. */
class HaLoopLeaderTest {

    /** This member runs the primary and holds the leader key; node1 and node3 are its replicas. */
    static LoopHarness leading() {
        return leading(new LoopHarness());
    }

    static LoopHarness leading(LoopHarness h) {
        h.initialized().primaryData();
        h.member("node1");
        h.member("node3");
        assertEquals("acquired the vacant leader key as the running primary", h.cycle());
        h.calls();
        h.takeEvents();
        h.advanceSeconds(1);
        return h;
    }

    @Test
    void aRunningPrimaryTakesTheVacantKey() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        assertEquals("acquired the vacant leader key as the running primary", h.cycle());
        assertEquals(ME, h.leader());
        assertTrue(h.holdsLock());
        assertEquals(List.of(), h.calls(), "no promotion: it is a primary already");
    }

    @Test
    void theLeaderKeepsSlotsAndStatusAndArmsTheFences() {
        LoopHarness h = leading();
        h.pg.slots.add("gone_member");
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(List.of("create slot node1", "create slot node3", "synchronous_standby_names reset"), h.calls(),
                "a slot Baton never knew as a member's is not touched (a barman or pg_receivewal slot)");
        assertEquals("{\"optime\":" + h.pg.wal + ",\"retain_slots\":[\"node1\",\"node3\"]}",
                h.etcd.value("status").orElseThrow());
        assertTrue(h.holdsLock());
        assertEquals(h.state().lockValidUntilNanos(), h.watchdog.armedUntil, "the watchdog is armed to the same instant");
        assertEquals(h.nanos.get() + 4 * LoopHarness.SECOND, h.watchdog.armedUntil,
                "sure for loop_wait + retry_timeout after the renewal");
        assertEquals(Role.PRIMARY, h.myKey().role());
    }

    @Test
    void aGoneMembersSlotStaysForMemberSlotsTtlAndANewLeaderKnowsItFromTheStatusKey() {
        LoopHarness h = leading();
        h.config(DynamicConfig.defaults().withSlots(new SlotsConfig(60, java.util.Map.of(), List.of())));
        h.cycle();
        h.calls();
        h.others.get("node3").die();
        for (int i = 0; i < 30; i++) {
            h.advanceSeconds(1);
            assertEquals("no action: I am the leader with the lock", h.cycle());
        }
        assertEquals(List.of(), h.calls(), "node3 has been gone 30 s of member_slots_ttl 60 s");
        assertTrue(h.etcd.value("status").orElseThrow().contains("\"retain_slots\":[\"node1\",\"node3\"]"));
        for (int i = 0; i < 31; i++) {
            h.advanceSeconds(1);
            h.cycle();
        }
        assertEquals(List.of("drop slot node3"), h.calls());
        assertTrue(h.etcd.value("status").orElseThrow().contains("\"retain_slots\":[\"node1\"]"),
                h.etcd.value("status").orElseThrow());
    }

    @Test
    void aNewLeaderStartsTheTtlOfTheRetainedSlotsAgain() {
        LoopHarness h = new LoopHarness();
        h.etcd.put("status", "{\"optime\":1,\"retain_slots\":[\"node1\",\"node3\",\"node9\"]}");
        h.pg.slots.add("node9");
        leading(h);
        assertTrue(h.pg.slots.contains("node9"), "node9 (gone) is kept: member_slots_ttl starts at the takeover");
        h.config(DynamicConfig.defaults().withSlots(new SlotsConfig(0, java.util.Map.of(), List.of())));
        h.cycle();
        assertTrue(h.calls().contains("drop slot node9"));
    }

    @Test
    void permanentSlotsOnTheLeader() {
        LoopHarness h = leading();
        h.config(DynamicConfig.defaults().withSlots(new SlotsConfig(1800, java.util.Map.of(
                "archiver", SlotsConfig.PermanentSlot.physical(),
                "cdc", SlotsConfig.PermanentSlot.logical("app", "pgoutput")), List.of())));
        h.cycle();
        List<String> calls = h.calls();
        assertTrue(calls.contains("create slot archiver"), calls.toString());
        assertTrue(calls.contains("create logical slot cdc app pgoutput"), calls.toString());
        assertTrue(h.etcd.value("status").orElseThrow().contains("\"retain_slots\":[\"node1\",\"node3\"]"),
                "permanent slots are not member slots");
        h.cycle();
        assertEquals(List.of(), h.calls(), "nothing more to do");
    }

    @Test
    void aQuietLeaderWritesNothing() {
        LoopHarness h = leading();
        h.cycle();
        h.calls();
        long revision = h.etcd.revision();
        h.cycle();
        assertEquals(List.of(), h.calls());
        assertEquals(revision, h.etcd.revision(), "neither the member key nor the status key changed");
    }

    @Test
    void aLeaderWhoseKeyWasTakenDemotes() {
        LoopHarness h = leading();
        h.cycle();
        h.etcd.expireLease(h.etcd.leaderLease());
        h.others.get("node1").lead();
        h.calls();
        assertEquals("demoting self: node1 holds the leader key", h.cycle());
        assertEquals(List.of("stop IMMEDIATE"), h.calls());
        assertFalse(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil);
    }

    @Test
    void aCrashedPrimaryIsStartedAgainUnderTheLock() {
        LoopHarness h = leading();
        h.cycle();
        h.calls();
        h.pg.crash();
        assertEquals("starting postgres as the primary: I hold the leader key", h.cycle());
        h.runActions();
        assertEquals(List.of("configure primary", "start"), h.calls());
        assertEquals(List.of("started primary"), h.takeEvents());
    }

    @Test
    void aPrimaryThatDoesNotComeBackWithinPrimaryStartTimeoutReleasesTheKey() {
        LoopHarness h = leading();
        h.cycle();
        h.pg.crash();
        h.pg.failOn("start");
        h.cycle();
        h.runActions();
        String s = h.cycleUntil("releasing the leader key", 15);
        assertEquals("releasing the leader key: postgres was not running again within primary_start_timeout (10 s)", s);
        assertNull(h.leader());
        assertFalse(h.holdsLock());
    }

    @Test
    void withPrimaryStartTimeoutZeroTheKeyIsReleasedAtOnce() {
        LoopHarness h = leading();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(), 0, true, true,
                Map.of(), false, false));
        h.cycle();
        h.pg.crash();
        assertEquals("releasing the leader key: postgres is down and primary_start_timeout is 0", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void aRestartInPlaceKeepsTheKey() {
        LoopHarness h = leading();
        h.cycle();
        h.calls();
        OperatorPolicy.Result r = h.operatorNow().restart("master", false, java.time.Duration.ofSeconds(5));
        assertEquals(200, r.status(), r.message());
        assertEquals(List.of("stop FAST", "configure primary", "start"), h.calls());
        assertEquals(ME, h.leader());
    }

    @Test
    void aRestartOnlyIfPendingIsRefusedWithoutAPendingChange() {
        LoopHarness h = leading();
        h.cycle();
        OperatorPolicy.Result r = h.operator().restart(null, true, java.time.Duration.ofSeconds(5));
        assertEquals(412, r.status());
        assertEquals("restart conditions are not satisfied: no restart is pending", r.message());
    }

    @Test
    void changedParametersInTheConfigKeyAreAppliedByReload() {
        LoopHarness h = leading();
        h.cycle();
        h.calls();
        h.takeEvents();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of("work_mem", "8MB"), false, false));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(List.of("configure primary", "reload"), h.calls());
        assertEquals(List.of("reloaded primary"), h.takeEvents());
        h.cycle();
        assertEquals(List.of(), h.calls(), "applied once");
    }

    @Test
    void aNewLeaseRepublishesTheMemberKey() {
        LoopHarness h = following();
        h.cycle();
        h.etcd.expireLease(h.store.leaseId());
        assertEquals(null, h.myKey(), "the member key went with the lease");
        h.cycle();
        assertEquals(Role.REPLICA, h.myKey().role());
    }

    @Test
    void anAgentRestartedBesideItsRunningPrimaryReclaimsItsKey() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        LoopHarness.Other previousRun = h.new Other(ME, "10.0.0.2");
        previousRun.store.renewLease();
        previousRun.store.tryAcquireLeader();
        long oldLease = h.etcd.leaderLease();
        assertEquals("reclaiming my leader key from my previous run: my postgres is the primary", h.cycle());
        assertNotEquals(oldLease, h.etcd.leaderLease());
        assertTrue(h.holdsLock());
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
    }

    @Test
    void pausedTheLeaderKeepsTheLockButDisarmsTheFences() {
        LoopHarness h = leading();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, false));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertTrue(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil, "no fencing in maintenance mode");
        assertTrue(h.myKey().paused());
    }

    @Test
    void pausedACrashedPrimaryIsNotStarted() {
        LoopHarness h = leading();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, false));
        h.cycle();
        h.calls();
        h.pg.crash();
        assertEquals("paused: postgres is not running, and I do not start it in maintenance mode", h.cycle());
        assertEquals(List.of(), h.calls());
    }

    @Test
    void pausedAPrimaryBesideAnotherLeaderIsNotDemoted() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, false));
        h.member("node1").lead();
        assertEquals("paused: I run as a primary although node1 holds the leader key; not demoting in maintenance mode",
                h.cycle());
        assertEquals(List.of(), h.calls());
    }

    static LoopHarness following() {
        return HaLoopReplicaTest.following();
    }

    /** Issue 19: the leader renews every cycle, so its sure-until (and the fences) are as before. */
    @Test
    void theLeaderRenewsEveryCycle() {
        LoopHarness h = leading();
        int before = h.storeCalls.get("renewLease");
        for (int i = 0; i < 5; i++) {
            h.cycle();
            h.advanceSeconds(1);
        }
        assertEquals(before + 5, h.storeCalls.get("renewLease"));
        assertTrue(h.holdsLock());
    }
}
