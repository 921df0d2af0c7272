package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import dev.baton.leader.model.SyncState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Synchronous mode's ordering rules, without I/O. */
class SyncPlannerTest {

    static Map<String, MemberStatus> members(String... names) {
        Map<String, MemberStatus> m = new LinkedHashMap<>();
        for (String n : names) {
            boolean nosync = n.endsWith("!");
            String name = nosync ? n.substring(0, n.length() - 1) : n;
            m.put(name, new MemberStatus(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni",
                    MemberState.RUNNING, Role.REPLICA, 0, 1, nosync ? Map.of("nosync", true) : Map.of(), "t", false, false,
                    null));
        }
        return m;
    }

    static PgStatus.Replica row(String name, String state, String syncState, long flush) {
        return new PgStatus.Replica(name, "127.0.0.1", state, syncState, flush, flush, flush, 0.0);
    }

    static SyncState key(String leader, String... standbys) {
        return new SyncState(leader, Set.of(standbys), 42);
    }

    @Test
    void steadyStateChangesNothing() {
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"),
                List.of(row("b", "streaming", "sync", 100), row("c", "streaming", "async", 200)),
                members("a", "b", "c"), 1, false, "FIRST 1 (\"b\")");
        assertNull(p.publishFirst());
        assertNull(p.namesValue(), "the synchronous standby is kept even when another one is further ahead");
        assertEquals(List.of("b"), p.picked());
    }

    @Test
    void newPrimaryPicksTheMostAdvancedStreamingReplica() {
        SyncPlanner.Plan p = SyncPlanner.plan("b", key("b"),
                List.of(row("a", "catchup", "async", 300), row("c", "streaming", "async", 200),
                        row("d", "streaming", "async", 100)),
                members("a", "b", "c", "d"), 1, false, "");
        assertNull(p.publishFirst(), "nothing to take back from the key");
        assertEquals("FIRST 1 (\"c\")", p.namesValue());
        // The key lists c only once postgres reports it synchronous.
        assertEquals(Set.of(), SyncPlanner.confirmed(p.picked(), List.of(row("c", "streaming", "potential", 200))));
        assertEquals(Set.of("c"), SyncPlanner.confirmed(p.picked(), List.of(row("c", "streaming", "sync", 200))));
    }

    @Test
    void aLostStandbyLeavesTheKeyBeforePostgres() {
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"),
                List.of(row("c", "streaming", "async", 200)), members("a", "b", "c"), 1, false, "FIRST 1 (\"b\")");
        assertEquals(Set.of(), p.publishFirst(), "b is removed from the key first");
        assertEquals("FIRST 1 (\"c\")", p.namesValue());
    }

    @Test
    void aReplacedStandbyIsNotKeptInTheKey() {
        // b is still synchronous but tagged nosync now: it must leave the key before postgres stops waiting for it.
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"),
                List.of(row("b", "streaming", "sync", 200), row("c", "streaming", "async", 100)),
                members("a", "b!", "c"), 1, false, "FIRST 1 (\"b\")");
        assertEquals(Set.of(), p.publishFirst());
        assertEquals("FIRST 1 (\"c\")", p.namesValue());
    }

    @Test
    void withoutCandidatesStandaloneOrStrict() {
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"), List.of(), members("a", "b"), 1, false,
                "FIRST 1 (\"b\")");
        assertEquals(Set.of(), p.publishFirst());
        assertEquals("", p.namesValue());
        assertTrue(p.picked().isEmpty());
        SyncPlanner.Plan strict = SyncPlanner.plan("a", key("a", "b"), List.of(), members("a", "b"), 1, true,
                "FIRST 1 (\"b\")");
        assertEquals("*", strict.namesValue(), "strict: commits wait for any standby");
    }

    @Test
    void aKeyOfAnotherLeaderIsClaimedFirst() {
        SyncPlanner.Plan p = SyncPlanner.plan("b", key("a", "b"),
                List.of(row("c", "streaming", "async", 100)), members("a", "b", "c"), 1, false, null);
        assertEquals(Set.of(), p.publishFirst());
        assertEquals("FIRST 1 (\"c\")", p.namesValue());
        SyncPlanner.Plan absent = SyncPlanner.plan("a", SyncState.absent(),
                List.of(row("c", "streaming", "async", 100)), members("a", "c"), 1, false, null);
        assertEquals(Set.of(), absent.publishFirst(), "synchronous mode just turned on: claim the key");
    }

    @Test
    void nodeCountAndIneligibleReplicas() {
        List<PgStatus.Replica> rows = new ArrayList<>(List.of(row("b", "streaming", "async", 100),
                row("c", "streaming", "async", 300), row("d", "streaming", "async", 200),
                row("stranger", "streaming", "async", 900), row("e", "streaming", "async", 800)));
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a"), rows, members("a", "b", "c", "d", "e!"), 2, false, "");
        assertEquals(List.of("c", "d"), p.picked(), "not a member, nosync: never picked");
        assertEquals("FIRST 2 (\"c\",\"d\")", p.namesValue());
    }

    @Test
    void taggedMembersAreNeverPicked() {
        Map<String, MemberStatus> m = members("a", "b", "c", "d", "e", "f");
        m.put("c", tagged(m.get("c"), Map.of("nosync", true)));
        m.put("d", tagged(m.get("d"), Map.of("nostream", true)));
        m.put("e", tagged(m.get("e"), Map.of("failover_priority", 0)));
        m.put("f", tagged(m.get("f"), Map.of("nofailover", true)));
        List<PgStatus.Replica> rows = List.of(row("b", "streaming", "async", 100), row("c", "streaming", "async", 900),
                row("d", "streaming", "async", 900), row("e", "streaming", "async", 900), row("f", "streaming", "async", 900));
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a"), rows, m, 3, false, "");
        assertEquals(List.of("b"), p.picked(), "nosync, nostream, failover_priority 0 and nofailover: never synchronous");
    }

    static MemberStatus tagged(MemberStatus m, Map<String, Object> tags) {
        return new MemberStatus(m.name(), m.connUrl(), m.apiUrl(), m.state(), m.role(), m.xlogLocation(), m.timeline(),
                tags, m.version(), m.pendingRestart(), m.paused(), m.checkpointAfterPromote());
    }

    static PgStatus.Replica row(String name, String syncState, long flush, long replay) {
        return new PgStatus.Replica(name, "127.0.0.1", "streaming", syncState, flush, flush, replay, 0.0);
    }

    /** One case of maximum_lag_on_syncnode: the rows, the limit, what is picked and who is left out. */
    record LagCase(String why, List<PgStatus.Replica> rows, int count, SyncPlanner.Lag lag, List<String> picked,
                   Set<String> lagging) {
    }

    @Test
    void maximumLagOnSyncnode() {
        long mb = 1 << 20;
        List<LagCase> cases = List.of(
                new LagCase("off (Patroni's -1): the stuck synchronous standby is kept",
                        List.of(row("b", "sync", 100, 100), row("c", "async", 900 * mb, 900 * mb)), 1,
                        SyncPlanner.Lag.UNLIMITED, List.of("b"), Set.of()),
                new LagCase("0 is off as well",
                        List.of(row("b", "sync", 100, 100), row("c", "async", 900 * mb, 900 * mb)), 1,
                        SyncPlanner.Lag.of(0, null, 0), List.of("b"), Set.of()),
                new LagCase("a synchronous standby more than the limit behind the best one is replaced",
                        List.of(row("b", "sync", 100, 100), row("c", "async", 20 * mb, 20 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 20 * mb), List.of("c"), Set.of("b")),
                new LagCase("within the limit: kept (no flapping under load)",
                        List.of(row("b", "sync", 10 * mb, 10 * mb), row("c", "async", 20 * mb, 20 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 20 * mb), List.of("b"), Set.of()),
                new LagCase("exactly the limit behind is not more than it",
                        List.of(row("b", "sync", 5 * mb, 5 * mb), row("c", "async", 20 * mb, 20 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 20 * mb), List.of("b"), Set.of()),
                new LagCase("remote_apply compares replay_lsn: a standby with paused replay is replaced",
                        List.of(row("b", "sync", 20 * mb, 100), row("c", "async", 20 * mb, 20 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "remote_apply", 20 * mb), List.of("c"), Set.of("b")),
                new LagCase("synchronous_commit on compares flush_lsn: paused replay does not count",
                        List.of(row("b", "sync", 20 * mb, 100), row("c", "async", 20 * mb, 20 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 20 * mb), List.of("b"), Set.of()),
                new LagCase("every standby equally stuck: none is replaced (measured against the best standby)",
                        List.of(row("b", "sync", 100, 100), row("c", "async", 100, 100)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 900 * mb), List.of("b"), Set.of()),
                new LagCase("a single standby is measured against the primary: left out, the primary runs without",
                        List.of(row("b", "sync", 100, 100)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 900 * mb), List.of(), Set.of("b")),
                new LagCase("a single standby within the limit of the primary is kept",
                        List.of(row("b", "sync", 890 * mb, 890 * mb)), 1,
                        SyncPlanner.Lag.of(15 * mb, "on", 900 * mb), List.of("b"), Set.of()),
                new LagCase("two synchronous standbys: the lagging one is replaced, the other kept",
                        List.of(row("b", "sync", 30 * mb, 30 * mb), row("c", "sync", 100, 100),
                                row("d", "async", 29 * mb, 29 * mb)), 2,
                        SyncPlanner.Lag.of(15 * mb, "on", 30 * mb), List.of("b", "d"), Set.of("c")),
                new LagCase("no healthier standby to take over: fewer synchronous standbys",
                        List.of(row("b", "sync", 30 * mb, 30 * mb), row("c", "sync", 100, 100)), 2,
                        SyncPlanner.Lag.of(15 * mb, "on", 30 * mb), List.of("b"), Set.of("c")));
        for (LagCase c : cases) {
            SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"), c.rows(), members("a", "b", "c", "d"), c.count(),
                    false, null, c.lag());
            assertEquals(c.picked(), p.picked(), c.why());
            assertEquals(c.lagging(), p.lagging().keySet(), c.why());
        }
    }

    @Test
    void aReplacedLaggingStandbyLeavesTheKeyFirst() {
        long mb = 1 << 20;
        SyncPlanner.Plan p = SyncPlanner.plan("a", key("a", "b"),
                List.of(row("b", "sync", 20 * mb, 100), row("c", "async", 20 * mb, 20 * mb)),
                members("a", "b", "c"), 1, false, "FIRST 1 (\"b\")",
                SyncPlanner.Lag.of(15 * mb, "REMOTE_APPLY", 20 * mb));
        assertEquals(Set.of(), p.publishFirst(), "b leaves the key before postgres stops waiting for it");
        assertEquals("FIRST 1 (\"c\")", p.namesValue());
        assertEquals(20 * mb - 100, p.lagging().get("b"));
        // Once c is synchronous and b has caught up, c stays: the synchronous standby is preferred.
        SyncPlanner.Plan after = SyncPlanner.plan("a", key("a", "c"),
                List.of(row("b", "async", 30 * mb, 30 * mb), row("c", "sync", 29 * mb, 29 * mb)),
                members("a", "b", "c"), 1, false, "FIRST 1 (\"c\")",
                SyncPlanner.Lag.of(15 * mb, "remote_apply", 30 * mb));
        assertNull(after.publishFirst());
        assertNull(after.namesValue());
    }

    @Test
    void effectiveSynchronousCommit() {
        assertNull(LeaderDuties.setting("synchronous_commit", Map.of(), Map.of()));
        assertEquals("remote_apply", LeaderDuties.setting("synchronous_commit",
                Map.of("synchronous_commit", "remote_apply"), Map.of()));
        assertEquals("on", LeaderDuties.setting("synchronous_commit",
                Map.of("synchronous_commit", "remote_apply"), Map.of("Synchronous_Commit", "on")), "the local value wins");
    }

    @Test
    void namesAreQuoted() {
        assertEquals("FIRST 1 (\"we\"\"ird\")", SyncPlanner.namesValue(List.of("we\"ird"), false));
    }

    @Test
    void syncKeyShapes() {
        SyncState s = SyncState.parse("{\"leader\":\"a\",\"sync_standby\":\"b,c\"}", 7);
        assertEquals(Set.of("b", "c"), s.standbys());
        assertTrue(s.matches("a") && s.matches("c"));
        assertFalse(s.matches("d"));
        assertTrue(s.isSyncStandby("b", "a"));
        assertFalse(s.isSyncStandby("b", "x"), "a key of an older leader says nothing about the current one");
        assertEquals("{\"leader\":\"a\",\"sync_standby\":null}", SyncState.toJson("a", Set.of()));
        assertEquals("{\"leader\":\"a\",\"sync_standby\":\"b,c\"}", SyncState.toJson("a", List.of("c", "b")));
        assertFalse(SyncState.parse("{\"leader\":null,\"sync_standby\":null}", 3).matches("a"));
        assertEquals(Set.of("b"), SyncState.parse("{\"leader\":\"a\",\"sync_standby\":[\"b\"]}", 1).standbys());
    }
}
