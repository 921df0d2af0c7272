package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static dev.baton.agent.ha.LoopHarness.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: failsafe_mode (Patroni's docs/dcs_failsafe_mode.rst) through an etcd outage. */
class HaLoopFailsafeTest {
    static final String KEY = "{\"node1\":\"http://10.0.0.1:8008/patroni\",\"node2\":\"http://10.0.0.2:8008/patroni\","
            + "\"node3\":\"http://10.0.0.3:8008/patroni\"}";

    /** node2 leads node1 and node3 with failsafe_mode on; the failsafe key lists all three. */
    static LoopHarness leadingWithFailsafe() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.config(DynamicConfig.defaults().withFailsafeMode(true));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        h.calls();
        return h;
    }

    @Test
    void theLeaderWritesTheFailsafeKeyWithEveryMember() {
        LoopHarness h = leadingWithFailsafe();
        String key = h.etcd.value("failsafe").orElseThrow();
        assertEquals(Map.of("node1", "http://10.0.0.1:8008/patroni", "node3", "http://10.0.0.3:8008/patroni"),
                Map.of("node1", FailsafePolicy.parse(key).get("node1"), "node3", FailsafePolicy.parse(key).get("node3")));
        assertTrue(FailsafePolicy.parse(key).containsKey(ME), key);
        assertEquals(FailsafePolicy.parse(key), h.loop.failsafe().topology(), "GET /failsafe shows what was written");
    }

    @Test
    void withoutFailsafeModeNoKeyIsWritten() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        assertTrue(h.etcd.value("failsafe").isEmpty());
    }

    @Test
    void aMemberThatLeavesIsDroppedFromTheKey() {
        LoopHarness h = leadingWithFailsafe();
        h.others.get("node3").die();
        h.advanceSeconds(1);
        h.cycle();
        assertFalse(FailsafePolicy.parse(h.etcd.value("failsafe").orElseThrow()).containsKey("node3"));
    }

    @Test
    void throughAnOutageThePrimaryKeepsRunningWhileEveryMemberAccepts() {
        LoopHarness h = leadingWithFailsafe();
        h.etcd.down(true);
        // Past the retry bound that demotes without failsafe (loop_wait + retry_timeout).
        h.advanceSeconds(5);
        assertEquals(FailsafePolicy.CONTINUE, h.cycle());
        assertEquals(List.of("node1 2000", "node3 2000"), h.failsafeCalls);
        assertTrue(h.failsafeBody.contains("\"name\":\"node2\""), h.failsafeBody);
        assertEquals(List.of(), h.calls(), "postgres untouched");
        assertTrue(h.holdsLock());
        assertTrue(h.loop.failsafe().activeAsLeader());
        long armed = h.watchdog.armedUntil;
        assertEquals(h.nanos.get() + 8 * SECOND, armed, "fence and watchdog held for ttl - margin from the round");
        // Many outage cycles, each about loop_wait + retry_timeout apart: still the primary.
        for (int i = 0; i < 20; i++) {
            h.advanceSeconds(4);
            assertEquals(FailsafePolicy.CONTINUE, h.cycle());
        }
        assertTrue(h.pg.isPrimary());
        assertEquals(List.of(), h.calls());
        assertNotEquals(armed, h.watchdog.armedUntil, "each round moves the watchdog's deadline");
    }

    @Test
    void thePrimaryDemotesAtOnceWhenOneMemberDoesNotAccept() {
        LoopHarness h = leadingWithFailsafe();
        h.etcd.down(true);
        h.advanceSeconds(5);
        assertEquals(FailsafePolicy.CONTINUE, h.cycle());
        h.others.get("node3").reachable = false;
        h.advanceSeconds(1);
        assertEquals("demoting self because the cluster store is not accessible and failsafe mode could not reach "
                + "every member: node3 (unreachable)", h.cycle());
        assertEquals(List.of("stop IMMEDIATE", "configure replica of null", "start"), h.calls());
        assertFalse(h.holdsLock());
        assertEquals(0, h.watchdog.armedUntil);
        assertFalse(h.loop.failsafe().activeAsLeader());
    }

    @Test
    void aRoundThatCannotStartBeforeTheHoldEndsIsFenced() {
        LoopHarness h = leadingWithFailsafe();
        h.etcd.down(true);
        h.advanceSeconds(9); // the lease's margin passed: the fence already stopped postgres
        String s = h.cycle();
        assertFalse(s.equals(FailsafePolicy.CONTINUE), s);
        assertFalse(h.holdsLock());
    }

    @Test
    void aOneMemberClusterKeepsRunningWithoutAskingAnyone() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        h.config(DynamicConfig.defaults().withFailsafeMode(true));
        assertEquals("acquired the vacant leader key as the running primary", h.cycle());
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(Map.of(ME, "http://10.0.0.2:8008/patroni"), FailsafePolicy.parse(h.etcd.value("failsafe").orElseThrow()));
        h.calls();
        h.etcd.down(true);
        for (int i = 0; i < 10; i++) {
            h.advanceSeconds(5);
            assertEquals(FailsafePolicy.CONTINUE, h.cycle());
        }
        assertEquals(List.of(), h.failsafeCalls);
        assertEquals(List.of(), h.calls());
    }

    @Test
    void withoutFailsafeModeTheOutageDemotesAsBefore() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.etcd.down(true);
        h.advanceSeconds(5);
        assertEquals("demoted self because the cluster store is not accessible and I was the leader", h.cycle());
        assertEquals(List.of(), h.failsafeCalls);
    }

    @Test
    void whenEtcdIsBackAfterTheLeaseExpiredThePrimaryTakesTheKeyAgain() {
        LoopHarness h = leadingWithFailsafe();
        h.etcd.down(true);
        for (int i = 0; i < 8; i++) {
            h.advanceSeconds(4);
            assertEquals(FailsafePolicy.CONTINUE, h.cycle());
        }
        h.etcd.down(false);
        h.etcd.expireLease(h.store.leaseId());
        assertEquals("acquired the vacant leader key as the running primary", h.cycle());
        assertEquals(List.of(), h.calls(), "no demotion, no restart");
        assertFalse(h.loop.failsafe().activeAsLeader());
    }

    // ------------------------------------------------------------ replicas

    static LoopHarness leaderlessWithFailsafe(String key) {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.config(DynamicConfig.defaults().withFailsafeMode(true));
        h.etcd.put("failsafe", key);
        h.member("node1").lead();
        h.member("node3");
        h.cycle();
        h.others.get("node1").die();
        return h;
    }

    @Test
    void aReplicaThatAcceptedAFailsafeCallDoesNotRaceForTtl() {
        LoopHarness h = leaderlessWithFailsafe(KEY);
        h.loop.failsafe().accepted(new FailsafeState.Ack("node1", null, null, Map.of(), h.nanos.get()));
        h.advanceSeconds(1);
        String s = h.cycle();
        assertTrue(s.startsWith("no action: the cluster has no leader, but node1 confirmed it runs as the primary by "
                + "POST /failsafe 1.0 s ago"), s);
        assertEquals(null, h.leader());
        h.advanceSeconds(8.9);
        assertTrue(h.cycle().startsWith("no action: the cluster has no leader, but node1 confirmed"));
        h.advanceSeconds(0.2);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle(), "ttl after the last call: the normal race");
        assertEquals(ME, h.leader());
    }

    @Test
    void aReplicaMissingFromTheFailsafeKeyNeverRaces() {
        LoopHarness h = leaderlessWithFailsafe("{\"node1\":\"http://10.0.0.1:8008/patroni\"}");
        for (int i = 0; i < 5; i++) {
            assertEquals("no action: the cluster has no leader and I am not in the failsafe key (failsafe mode: only "
                    + "node1 may take over)", h.cycle());
            h.advanceSeconds(10);
        }
        assertEquals(null, h.leader());
    }

    @Test
    void aKnownReplicaWinsTheRaceWhenTheLeaderIsDownAndEtcdUp() {
        LoopHarness h = leaderlessWithFailsafe(KEY);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
    }

    @Test
    void anUnreadableKeyDoesNotStopTheRace() {
        LoopHarness h = leaderlessWithFailsafe("not json");
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
    }
}
