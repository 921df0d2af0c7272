package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.model.HistoryEntry;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The small pure units the HA loop asks: each a table. */
class PoliciesTest {
    static final long S = 1_000_000_000L;

    // ------------------------------------------------------------------ LeaseMath

    static Stream<Arguments> sureUntil() {
        return Stream.of(
                // ttl, loop_wait, retry_timeout -> sure for (seconds after the renewal was sent)
                Arguments.of(10, 1, 3, 4.0),     // by the next renewal: loop_wait + retry_timeout
                Arguments.of(10, 5, 5, 8.0),     // by the lease: ttl - ttl/5 (10 > 8)
                Arguments.of(30, 10, 10, 20.0),  // 20 < 24
                Arguments.of(5, 1, 1, 2.0),      // 2 < 4
                Arguments.of(3, 1, 1, 2.0),      // margin is at least 1 s: 3 - 1 = 2
                Arguments.of(10, 1, 0, 2.0));    // retry_timeout counts as at least 1 s
    }

    @ParameterizedTest(name = "ttl {0}, loop_wait {1}, retry_timeout {2}: sure for {3} s")
    @MethodSource
    void sureUntil(int ttl, int loopWait, int retryTimeout, double seconds) {
        LeaseRenewal r = new LeaseRenewal(7, ttl, 100 * S, false);
        assertEquals(100 * S + (long) (seconds * S), LeaseMath.sureUntil(r, loopWait, retryTimeout));
    }

    @Test
    void theLockIsMineOnlyOnMyLeaseWhileSure() {
        LeaseRenewal r = new LeaseRenewal(7, 10, 100 * S, false);
        long sure = LeaseMath.sureUntil(r, 1, 3);
        assertTrue(LeaseMath.lockIsMine("a", "a", 7, r, sure, 101 * S));
        assertFalse(LeaseMath.lockIsMine("a", "a", 8, r, sure, 101 * S), "another lease: a previous run's key");
        assertFalse(LeaseMath.lockIsMine("a", "b", 7, r, sure, 101 * S));
        assertFalse(LeaseMath.lockIsMine("a", "a", 7, r, sure, sure), "not at the deadline itself");
        assertFalse(LeaseMath.stillSure(0, 0), "0 means not held");
        assertTrue(LeaseMath.stillSure(Long.MIN_VALUE + 10, Long.MAX_VALUE), "wrap-safe");
    }

    @Test
    void aHandoverHoldsNoLock() {
        assertEquals(5, LeaseMath.holdUntil(true, 5, null));
        assertEquals(5, LeaseMath.holdUntil(true, 5, LongAction.PROMOTE.running()));
        assertEquals(0, LeaseMath.holdUntil(true, 5, LongAction.HANDOVER.on("node3")));
        assertEquals(0, LeaseMath.holdUntil(false, 5, null));
    }

    // ------------------------------------------------------------------ OutagePolicy

    static Stream<Arguments> outage() {
        return Stream.of(
                // primary, alive, sure, paused, fenced, busy -> action, sentence ends with
                Arguments.of(true, true, false, false, false, false, OutagePolicy.Action.DEMOTE, "I was the leader"),
                Arguments.of(true, true, false, false, false, true, OutagePolicy.Action.FENCE, "I was the leader"),
                Arguments.of(true, true, true, false, false, false, OutagePolicy.Action.NONE, "lease is still valid"),
                Arguments.of(true, true, false, true, false, false, OutagePolicy.Action.NONE, "as a replica"),
                Arguments.of(false, false, false, false, true, false, OutagePolicy.Action.START_READ_ONLY, "not accessible"),
                Arguments.of(false, false, false, false, true, true, OutagePolicy.Action.NONE, "as a stopped node"),
                Arguments.of(false, false, false, false, false, false, OutagePolicy.Action.NONE, "as a stopped node"),
                Arguments.of(false, true, false, false, false, false, OutagePolicy.Action.NONE, "as a replica"));
    }

    @ParameterizedTest
    @MethodSource
    void outage(boolean primary, boolean alive, boolean sure, boolean paused, boolean fenced, boolean busy,
                OutagePolicy.Action action, String ending) {
        OutagePolicy.Outcome o = OutagePolicy.decide(new OutagePolicy.Facts(primary, alive, sure, paused, fenced, busy,
                2.5, "timeout"));
        assertEquals(action, o.action());
        assertTrue(o.sentence().endsWith(ending), o.sentence());
    }

    // ------------------------------------------------------------------ RewindPolicy

    @Test
    void rewindPlans() {
        assertEquals(RewindPolicy.Step.FOLLOW, RewindPolicy.before(new RewindCheck(false, 0, 0, ""), true, "n1").step());
        assertEquals(RewindPolicy.Step.REWIND, RewindPolicy.before(new RewindCheck(true, 16, 2, ""), true, "n1").step());
        RewindPolicy.Plan refused = RewindPolicy.before(new RewindCheck(true, 16, 2, ""), false, "n1");
        assertEquals(RewindPolicy.Step.REFUSE, refused.step());
        assertEquals("the data directory diverged from n1 at 0/10 on timeline 2 and use_pg_rewind is off", refused.problem());
        assertEquals(RewindPolicy.Recovery.STOP, RewindPolicy.afterFailure(true, true));
        assertEquals(RewindPolicy.Recovery.RECLONE, RewindPolicy.afterFailure(false, true));
        assertEquals(RewindPolicy.Recovery.STAY_DOWN, RewindPolicy.afterFailure(false, false));
        assertTrue(RewindPolicy.stillFailed("n1", "n1"));
        assertTrue(RewindPolicy.stillFailed("n1", null), "no leader: nothing new to try against");
        assertFalse(RewindPolicy.stillFailed("n1", "n3"));
        assertFalse(RewindPolicy.stillFailed(null, "n1"));
    }

    // ------------------------------------------------------------------ SlotPlanner

    @Test
    void slotsFollowTheMembers() {
        SlotPlanner.Plan p = SlotPlanner.plan("node2", SyncPlannerTest.members("node1", "node2", "Node-3").values(),
                Set.of("node1", "old"));
        assertEquals(Set.of("node_3"), p.create());
        assertEquals(Set.of(), p.drop(), "a slot Baton does not know as a member's is never dropped (SlotPlannerTest)");
        assertTrue(SlotPlanner.plan("a", SyncPlannerTest.members("a").values(), Set.of()).isEmpty());
        assertEquals("patroni_node_1", SlotPlanner.slotName("Patroni.Node 1"));
    }

    // ------------------------------------------------------------------ OperatorPolicy

    @Test
    void restartPreconditions() {
        PgStatus primary = new PgStatus(true, false, 1, 5, 0, 0, null, false, false, null, 0, null, 150000, List.of());
        assertEquals(Optional.empty(), OperatorPolicy.refuseRestart(primary, OperatorPolicy.RoleFilter.PRIMARY, false));
        assertEquals(412, OperatorPolicy.refuseRestart(primary, OperatorPolicy.RoleFilter.REPLICA, false).get().status());
        assertEquals(412, OperatorPolicy.refuseRestart(primary, OperatorPolicy.RoleFilter.ANY, true).get().status());
        assertEquals(503, OperatorPolicy.refuseRestart(PgStatus.stopped(), OperatorPolicy.RoleFilter.ANY, false).get().status());
        // In pause the loop does not start a stopped postgres: a restart does (as Patroni's), with no role condition.
        OperatorPolicy.RestartRequest any = new OperatorPolicy.RestartRequest(OperatorPolicy.RoleFilter.ANY, false, null, null);
        assertEquals(Optional.empty(), OperatorPolicy.refuseRestart(PgStatus.stopped(), any, true));
        assertEquals(503, OperatorPolicy.refuseRestart(PgStatus.stopped(), any, false).get().status());
        assertEquals(412, OperatorPolicy.refuseRestart(PgStatus.stopped(), new OperatorPolicy.RestartRequest(
                OperatorPolicy.RoleFilter.REPLICA, false, null, null), true).get().status());
        assertEquals(412, OperatorPolicy.refuseRestart(PgStatus.stopped(), new OperatorPolicy.RestartRequest(
                OperatorPolicy.RoleFilter.ANY, true, null, null), true).get().status());
        assertEquals(Optional.of(OperatorPolicy.RoleFilter.PRIMARY), OperatorPolicy.RoleFilter.parse("master"));
        assertEquals(Optional.of(OperatorPolicy.RoleFilter.ANY), OperatorPolicy.RoleFilter.parse(null));
        assertEquals(Optional.empty(), OperatorPolicy.RoleFilter.parse("leader"));
        assertEquals(503, OperatorPolicy.refuseReinitialize(false, true).get().status());
        assertEquals(Optional.empty(), OperatorPolicy.refuseReinitialize(false, false));
        assertEquals("rewind from node1 is in progress; try again later",
                OperatorPolicy.refuseWhileBusy(LongAction.REWIND.on("node1")).get().message());
    }

    // ------------------------------------------------------------------ member role and state

    @Test
    void memberRoleAndStateFollowTheLocalFacts() {
        PgStatus replica = new PgStatus(true, true, 1, 0, 5, 5, null, false, true, "h", 5432, null, 150000, List.of());
        DataDirInfo data = new DataDirInfo(DataDirInfo.Kind.INITIALIZED, "1", "shut down", 1, 1, false, null);
        assertEquals(Role.REPLICA, MemberPublisher.role(replica, null));
        assertEquals(Role.REPLICA, MemberPublisher.role(PgStatus.stopped(), data), "stopped with data: a replica to be");
        assertEquals(Role.UNINITIALIZED, MemberPublisher.role(PgStatus.stopped(), DataDirInfo.of(DataDirInfo.Kind.EMPTY)));
        assertEquals(MemberState.CREATING_REPLICA, MemberPublisher.state(PgStatus.stopped(), false, LongAction.CLONE.on("x"), false));
        assertEquals(MemberState.REWIND_FAILED, MemberPublisher.state(PgStatus.stopped(), false, null, true));
        assertEquals(MemberState.RUNNING, MemberPublisher.state(replica, true, null, true));
        assertEquals(MemberState.STARTING, MemberPublisher.state(PgStatus.stopped(), true, null, false));
        assertEquals(MemberState.STOPPED, MemberPublisher.state(PgStatus.stopped(), false, null, false));
    }

    @Test
    void memberStateIsRunningOncePostgresAnswersDuringAnActionThatDoesNotHoldItDown() {
        PgStatus primary = new PgStatus(true, false, 1, 5, 0, 0, null, false, false, null, 0, null, 160000, List.of());
        // Patroni: "initializing new cluster" while initdb runs, then postgres' own state.
        assertEquals(MemberState.INITIALIZING_NEW_CLUSTER,
                MemberPublisher.state(PgStatus.stopped(), true, LongAction.BOOTSTRAP.running(), false));
        assertEquals(MemberState.RUNNING, MemberPublisher.state(primary, true, LongAction.BOOTSTRAP.running(), false),
                "a stand-alone node whose postgres answers while the roles are created");
        for (LongAction a : new LongAction[] {LongAction.START_PRIMARY, LongAction.START_REPLICA, LongAction.RELOAD}) {
            assertEquals(MemberState.RUNNING, MemberPublisher.state(primary, true, a.on("x"), false), a.name());
            assertEquals(MemberState.STARTING, MemberPublisher.state(PgStatus.stopped(), true, a.on("x"), false), a.name());
        }
        for (LongAction a : new LongAction[] {LongAction.RESTORE_BOOTSTRAP, LongAction.CLONE, LongAction.REWIND,
                LongAction.HANDOVER, LongAction.RESTART, LongAction.REINITIALIZE, LongAction.PROMOTE, LongAction.FENCE,
                LongAction.DRAIN}) {
            assertEquals(a.memberState(), MemberPublisher.state(primary, true, a.on("x"), false), a.name());
        }
    }

    @Test
    void longActionsDescribeThemselves() {
        assertEquals("clone from node1", LongAction.CLONE.on("node1").description());
        assertEquals("switchover to node3", LongAction.HANDOVER.on("node3").description());
        assertEquals("bootstrap (initdb)", LongAction.BOOTSTRAP.running().description());
        assertTrue(LongAction.RESTART.stopsPostgresOnPurpose());
        assertFalse(LongAction.START_PRIMARY.stopsPostgresOnPurpose());
    }

    @Test
    void theCycleClocks() {
        CycleClock c = CycleClock.start().next(true, false, true, 10 * S);
        assertEquals(0, c.primaryDownSeconds(10 * S));
        c = c.next(true, false, true, 13 * S);
        assertEquals(3, c.primaryDownSeconds(13 * S), "counts from the first cycle that saw it down");
        assertEquals(-1, c.next(true, true, true, 14 * S).primaryDownSeconds(14 * S));
        assertEquals(-1, c.next(false, false, true, 14 * S).primaryDownSeconds(14 * S));
        CycleClock l = CycleClock.start().next(false, true, false, 1 * S).next(false, true, false, 4 * S);
        assertEquals(3, l.leaderlessSeconds(4 * S));
        assertEquals(-1, l.next(false, true, true, 5 * S).leaderlessSeconds(5 * S));
    }

    @Test
    void theHistoryLineOfAPromotion() {
        String file = "1\t0/3000060\tno recovery target specified\n2\t0/5000000\tbefore 2026-01-01\n";
        assertEquals(new HistoryEntry(1, 0x3000060L, "no recovery target specified", "t", "n2"),
                Promotion.historyLine(file, 1, "t", "n2"));
        assertEquals(new HistoryEntry(2, 0x5000000L, "before 2026-01-01", "t", "n2"), Promotion.historyLine(file, 2, "t", "n2"));
        assertEquals(new HistoryEntry(3, 0, "no recovery target specified", "t", "n2"), Promotion.historyLine(null, 3, "t", "n2"));
    }
}
