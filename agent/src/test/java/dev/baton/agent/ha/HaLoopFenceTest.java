package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.FenceResult.Outcome;
import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: fence before promote and drain before promote (docs/failure-modes.md §16). node1
 * led and its lease expired (its agent froze; its postgres may still run); this member wins the
 * race and fences node1 (SQL, then REST, within retry_timeout: 3 s here, 2 s of it for SQL), drains
 * what node1 flushed, confirms the key is still its own, and only then promotes.
 */
class HaLoopFenceTest {
    private static final long FLUSH = 0x3000060L;

    private final List<String> during = new ArrayList<>();

    private static List<String> promoteCalls() {
        return List.of("synchronous_standby_names reset", "promote", "create slot node3");
    }

    @Test
    void theOldPrimaryIsFencedOverSqlAndDrainedThenThisNodePromotes() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> {
            during.add(h.cycle());
            // Fenced at 0/3000060: node1 had flushed a little more than this node received so far.
            h.pg.receiveTarget = FLUSH;
            h.pg.receiveStep = 0x10;
            return new FenceResult(Outcome.FENCED, FLUSH, "read-only; 2 client sessions ended");
        };
        h.onPause = () -> during.add(h.cycle());
        assertEquals("promoting self: I acquired the leader key; fencing node1 first", h.cycle());
        assertEquals(ME, h.leader());
        assertEquals(List.of(), h.calls(), "fence, drain and promotion run on the long-action slot");
        h.advanceSeconds(1);
        assertEquals("promoting: fencing node1 (over sql)", h.cycle());
        assertTrue(h.holdsLock(), "the key is renewed while fencing");
        assertEquals(MemberState.STARTING, h.myKey().state());

        h.runActions();
        assertEquals(List.of("10.0.0.1:5432 2000"), h.pg.fences, "SQL gets 2/3 of retry_timeout when REST can follow");
        assertEquals(List.of(), h.restFences, "fenced over SQL: no REST call");
        assertEquals("promoting: fencing node1 (over sql)", during.get(0));
        assertEquals("promoting: draining WAL from node1 to 0/3000060", during.get(1));
        assertEquals(promoteCalls(), h.calls());
        assertEquals(FLUSH, h.pg.wal, "promoted only once everything node1 flushed was received");
        assertEquals(List.of("fenced"), h.fenceOutcomes);

        PromotionReport r = h.state().promotion();
        assertNotNull(r);
        assertEquals("node1", r.oldPrimary());
        assertEquals("fenced", r.fence());
        assertEquals("sql", r.channel());
        assertEquals("0/3000060", r.flushLsn());
        assertEquals("complete", r.drain());
        assertTrue(r.drainMs() >= FenceBeforePromote.DRAIN_POLL.toMillis(), "polled at least once: " + r.drainMs());
        assertNotNull(r.at());
        assertTrue(r.fencedAndDrained());
        String history = h.etcd.value("history").orElseThrow();
        assertTrue(history.contains("no recovery target specified; node1 fenced over sql, drained to 0/3000060"), history);

        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(1, h.pg.fenceGrants, "the new leader grants the fencing role what it needs");
    }

    @Test
    void sqlUnreachableThenTheOldAgentFencesOverRest() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> {
            h.advance(budget.toNanos());
            return FenceResult.of(Outcome.UNREACHABLE, "connection timed out");
        };
        h.others.get("node1").restFence = timeout -> {
            during.add(h.cycle());
            return new FenceResult(Outcome.FENCED, 0x3000000L, "postgres stopped by its agent");
        };
        assertEquals("promoting self: I acquired the leader key; fencing node1 first", h.cycle());
        h.runActions();
        assertEquals(List.of("10.0.0.1:5432 2000"), h.pg.fences);
        assertEquals(List.of("node1 by node2 1000"), h.restFences, "REST gets what is left of retry_timeout");
        assertEquals(List.of("promoting: fencing node1 (over rest)"), during);
        assertEquals(promoteCalls(), h.calls());
        PromotionReport r = h.state().promotion();
        assertEquals("fenced", r.fence());
        assertEquals("rest", r.channel());
        assertEquals(2000, r.fenceMs());
        assertEquals("complete", r.drain(), "it had everything already");
        assertTrue(h.etcd.value("history").orElseThrow().contains("node1 fenced over rest, drained to 0/3000000"));
    }

    @Test
    void unreachableOnBothChannelsItPromotesAfterTheBudget() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> {
            h.advance(budget.toNanos());
            return FenceResult.of(Outcome.UNREACHABLE, "no route to host");
        };
        h.others.get("node1").restFence = timeout -> {
            h.advance(timeout.toNanos());
            return FenceResult.of(Outcome.UNREACHABLE, "no route to host");
        };
        long before = h.nanos.get();
        h.cycle();
        h.runActions();
        assertEquals(3 * LoopHarness.SECOND, h.nanos.get() - before, "bounded by retry_timeout");
        assertEquals(promoteCalls(), h.calls(), "the lease and watchdog reasoning applies: it promotes anyway");
        PromotionReport r = h.state().promotion();
        assertEquals("unreachable", r.fence());
        assertEquals("none", r.channel());
        assertEquals(3000, r.fenceMs());
        assertNull(r.flushLsn());
        assertEquals("not needed", r.drain());
        assertFalse(r.fencedAndDrained());
        assertEquals(List.of("unreachable"), h.fenceOutcomes);
        assertTrue(h.etcd.value("history").orElseThrow().contains("node1 unreachable, not fenced"));
    }

    @Test
    void aRefusalIsReportedAndThePromotionGoesAhead() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> FenceResult.of(Outcome.REFUSED, "permission denied");
        h.cycle();
        h.runActions();
        assertEquals(List.of("node1 by node2 3000"), h.restFences, "SQL refused at once: REST gets all that is left");
        assertEquals(promoteCalls(), h.calls());
        assertEquals("refused", h.state().promotion().fence());
        assertEquals(List.of("refused"), h.fenceOutcomes);
    }

    @Test
    void aDrainThatTimesOutIsReportedAndThePromotionGoesAhead() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> new FenceResult(Outcome.FENCED, 0x4000000L, "read-only");
        long before = h.nanos.get();
        h.cycle();
        h.runActions();
        assertTrue(h.nanos.get() - before >= 3 * LoopHarness.SECOND, "waited retry_timeout for the WAL");
        assertEquals(promoteCalls(), h.calls());
        PromotionReport r = h.state().promotion();
        assertEquals("fenced", r.fence());
        assertEquals("timed out", r.drain());
        assertEquals("0/4000000", r.flushLsn());
        assertFalse(r.fencedAndDrained());
        assertTrue(h.etcd.value("history").orElseThrow().contains("node1 fenced over sql, drain to 0/4000000 timed out"));
    }

    @Test
    void anOldPrimaryThatIsNotRunningNeedsNoRestCallAndNoDrain() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> FenceResult.of(Outcome.NOT_RUNNING, "connection refused");
        h.cycle();
        h.runActions();
        assertEquals(List.of(), h.restFences);
        assertEquals(promoteCalls(), h.calls());
        PromotionReport r = h.state().promotion();
        assertEquals("not running", r.fence());
        assertEquals("sql", r.channel());
        assertEquals("not needed", r.drain());
        assertTrue(r.fencedAndDrained());
        assertEquals(List.of("not_running"), h.fenceOutcomes);
    }

    @Test
    void anOldPrimaryInRecoveryIsNoThreat() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> FenceResult.of(Outcome.NOT_PRIMARY, "in recovery");
        h.cycle();
        h.runActions();
        assertEquals(promoteCalls(), h.calls());
        assertEquals("not a primary", h.state().promotion().fence());
        assertTrue(h.etcd.value("history").orElseThrow().contains("node1 not a primary (over sql)"));
    }

    @Test
    void theKeyLostDuringTheFenceMeansNoPromotion() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.pg.sqlFence = (target, budget) -> {
            // The fence took its whole budget (longer than a loop_wait: the key is read again
            // before promoting); this agent's lease expired meanwhile (etcd saw no renewal) and
            // node3 took the key.
            h.advanceSeconds(2);
            h.etcd.expireLease(h.store.leaseId());
            h.others.get("node3").lead();
            return new FenceResult(Outcome.FENCED, 0x3000000L, "read-only");
        };
        h.cycle();
        h.runActions();
        assertEquals(List.of(), h.calls(), "not promoted: the key is node3's");
        assertNull(h.state().promotion());
        assertEquals("node3", h.leader());
        h.advanceSeconds(1);
        assertEquals("following new leader node3", h.cycle());
        h.runActions();
        assertEquals(List.of("10.0.0.1:5432 2000"), h.pg.fences, "no second fence");
    }

    @Test
    void aSwitchoverIsNotFenced() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        LoopHarness.Other node1 = h.member("node1").lead();
        h.member("node3");
        h.cycle();
        // node1 hands over: it stopped cleanly and released the key; its agent and member key live on.
        h.etcd.put("failover", "{\"leader\":\"node1\",\"member\":\"node2\"}");
        node1.role = Role.REPLICA;
        node1.state = MemberState.STOPPED;
        node1.publish();
        node1.store.releaseLeader();
        h.advanceSeconds(1);
        assertEquals("promoting self: I acquired the leader key", h.cycle());
        h.advanceSeconds(1);
        assertEquals("promote in progress", h.cycle());
        h.runActions();
        assertEquals(List.of(), h.pg.fences);
        assertEquals(List.of(), h.restFences);
        assertTrue(h.calls().contains("promote"));
        PromotionReport r = h.state().promotion();
        assertEquals("not attempted", r.fence());
        assertEquals("none", r.channel());
        assertEquals("not needed", r.drain());
        assertEquals("node1", r.oldPrimary());
        assertEquals(List.of(), h.fenceOutcomes);
    }

    @Test
    void withoutAKnownPreviousLeaderThereIsNoFence() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.member("node3").wal(0x2000000L);
        h.others.get("node1").die();
        assertEquals("promoting self: I acquired the leader key", h.cycle(), "this agent never saw node1 lead");
        h.advanceSeconds(1);
        assertEquals("promote in progress", h.cycle());
        h.runActions();
        assertEquals(List.of(), h.pg.fences);
        assertTrue(h.calls().contains("promote"));
        assertNull(h.state().promotion().oldPrimary());
        assertEquals("not attempted", h.state().promotion().fence());
    }

    @Test
    void theResumedFencedOldPrimaryDemotesNeverRetakesTheKeyAndRecordsTheFence() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        // This agent froze: its lease expired, node3 fenced this postgres and took over on timeline 2.
        h.etcd.expireLease(h.store.leaseId());
        h.pg.fencedMark = true;
        LoopHarness.Other node3 = h.others.get("node3");
        node3.timeline = 2;
        node3.lead();
        h.etcd.put("history", "[[1,50331648,\"no recovery target specified; node2 fenced over sql, drained to "
                + "0/3000000\",\"2026-12-01T12:00:05Z\",\"node3\"]]");
        h.advanceSeconds(5);

        assertEquals("demoting self: node3 holds the leader key", h.cycle());
        assertEquals(List.of("stop IMMEDIATE"), h.calls(), "no synchronous_standby_names, no promotion");
        assertEquals("node3", h.leader());
        assertFalse(h.holdsLock());

        h.pg.rewindCheck = new RewindCheck(true, 0x3000000L, 1, "diverged");
        h.advanceSeconds(1);
        assertEquals("starting as a replica of node3 after rewinding my former primary data", h.cycle());
        h.runActions();
        assertEquals(List.of("check rewind 10.0.0.3:5432", "keep wal 1 0/3000000", "rewind 10.0.0.3:5432",
                "configure replica of 10.0.0.3:5432", "start"), h.calls());
        assertFalse(h.pg.fencedMark, "the fence is undone only by the rejoin");
        String history = h.etcd.value("history").orElseThrow();
        assertTrue(history.contains("node2 fenced over sql, drained to 0/3000000; node2 discarded WAL 0/3000000"),
                history);
        assertTrue(history.contains("; node2 was fenced by node3 before its promotion; rejoined by rewind\""), history);

        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary and I am following a leader node3", h.cycle());
        assertEquals("node3", h.leader());
        assertEquals(history, h.etcd.value("history").orElseThrow(), "recorded once");
    }

    @Test
    void aFencedOldPrimaryRejoinsWithoutARewindWhenNothingDiverged() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.etcd.expireLease(h.store.leaseId());
        h.pg.fencedMark = true;
        h.others.get("node3").lead();
        h.etcd.put("history", "[[1,50331648,\"no recovery target specified\",\"2026-12-01T12:00:05Z\",\"node3\"]]");
        h.advanceSeconds(5);
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        h.runActions();
        assertTrue(h.etcd.value("history").orElseThrow().contains("no recovery target specified; node2 was fenced by "
                + "node3 before its promotion; rejoined without a rewind (nothing to undo)"));
    }

    @Test
    void aFencedOldPrimaryNeverTakesTheVacantKey() {
        LoopHarness h = HaLoopLeaderTest.leading();
        // It resumes before the candidate took the key (or after the candidate lost it again).
        h.etcd.expireLease(h.store.leaseId());
        h.pg.fencedMark = true;
        h.advanceSeconds(5);
        assertEquals("demoting self: my postgres was fenced by the member that took over; rejoining as a replica, "
                + "not taking the leader key back", h.cycle());
        assertNull(h.leader());
        assertEquals(List.of("stop IMMEDIATE"), h.calls());
        assertEquals(List.of("stopped primary", "role replica"), h.takeEvents());
    }

    @Test
    void theLeaderEnsuresTheFenceGrantsOncePerLeadership() {
        LoopHarness h = HaLoopLeaderTest.leading();
        for (int i = 0; i < 3; i++) {
            assertEquals("no action: I am the leader with the lock", h.cycle());
            h.advanceSeconds(1);
        }
        assertEquals(1, h.pg.fenceGrants);
    }
}
