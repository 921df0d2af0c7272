package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: postgresql.pre_promote (Patroni's fencing hook), before_stop, and the listener
 * events behind the on_reload and on_restart callbacks.
 */
class HaLoopHooksTest {
    private static final String EXIT_1 = "the pre_promote script exited with code 1";

    @Test
    void aFailingPrePromoteCancelsThePromotionReleasesTheKeyAndBacksOffForATtl() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.prePromoteConfigured = true;
        h.pg.prePromote = EXIT_1;
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
        assertEquals(ME, h.leader());
        h.runActions();
        assertEquals(List.of("pre_promote"), h.calls(), "no promotion, synchronous_standby_names untouched");
        assertNull(h.leader(), "the leader key was released");
        assertEquals(List.of(), h.takeEvents(), "no role change");

        h.advanceSeconds(1);
        String s = h.cycle();
        assertTrue(s.startsWith("promotion cancelled because the pre_promote script failed (" + EXIT_1
                + "); released the leader key; not taking over: backing off "), s);
        assertTrue(s.endsWith(" s more after the pre_promote script failed"), s);
        assertNull(h.leader());
        assertFalse(h.holdsLock());
        h.advanceSeconds(1);
        assertTrue(h.cycle().startsWith("not taking over: backing off "), "said once, then the backoff alone");

        // A ttl (30 s) after the release, it races again; this time the script succeeds.
        h.pg.prePromote = null;
        h.advanceSeconds(29);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle(), "node1 is fenced again first");
        h.runActions();
        assertEquals(List.of("pre_promote", "synchronous_standby_names reset", "promote"),
                h.calls().subList(0, 3));
        assertEquals(ME, h.leader());
        assertEquals(List.of("role primary"), h.takeEvents());
    }

    @Test
    void aSucceedingPrePromoteRunsAfterTheFenceAndBeforeThePromotion() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.prePromoteConfigured = true;
        h.cycle();
        h.runActions();
        assertEquals(List.of("pre_promote", "synchronous_standby_names reset", "promote", "create slot node3"),
                h.calls());
        assertEquals(1, h.pg.fences.size(), "node1 was fenced (over SQL) before the script ran");
        assertEquals(ME, h.leader());
    }

    @Test
    void withoutPrePromoteNothingChanges() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.cycle();
        h.runActions();
        assertEquals(List.of("synchronous_standby_names reset", "promote", "create slot node3"), h.calls());
    }

    @Test
    void beforeStopRunsBeforeARestartWhichFiresRestartedNotStartedAndStopped() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.pg.beforeStopConfigured = true;
        h.cycle();
        h.calls();
        h.takeEvents();
        OperatorPolicy.Result r = h.operatorNow().restart(null, false, Duration.ofSeconds(5));
        assertEquals(200, r.status(), r.message());
        assertEquals(List.of("before_stop", "stop FAST", "configure primary", "start"), h.calls());
        assertEquals(List.of("stopped for restart primary", "restarted primary"), h.takeEvents());
    }

    @Test
    void aShutdownRunsBeforeStopFirst() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.pg.beforeStopConfigured = true;
        h.cycle();
        h.calls();
        h.loop.close();
        List<String> calls = h.calls();
        assertEquals(List.of("before_stop", "stop FAST"), calls.subList(0, 2), calls.toString());
    }

    @Test
    void theStopThatDemotesALeaderWithoutItsKeyRunsNoHook() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.pg.beforeStopConfigured = true;
        h.cycle();
        h.etcd.expireLease(h.etcd.leaderLease());
        h.others.get("node1").lead();
        h.calls();
        assertEquals("demoting self: node1 holds the leader key", h.cycle());
        assertEquals(List.of("stop IMMEDIATE"), h.calls(), "a fence is not delayed by before_stop");
    }

    @Test
    void aReplicaRepointedByReloadReportsTheReload() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.cycle();
        h.runActions();
        h.calls();
        h.takeEvents();
        h.others.get("node1").die();
        h.member("node3").lead();
        h.cycleUntil("following", 5);
        assertTrue(h.takeEvents().contains("reloaded replica"));
    }
}
