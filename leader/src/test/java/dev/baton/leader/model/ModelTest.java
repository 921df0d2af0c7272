package dev.baton.leader.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cluster model read from etcd values: tolerant of what Patroni writes, typed for Baton. */
class ModelTest {

    @Test
    void rolesAndStatesKeepPatronisWireNames() {
        assertEquals(Role.PRIMARY, Role.parse("master"));
        assertEquals(Role.PRIMARY, Role.parse("primary"));
        assertEquals(Role.STANDBY_LEADER, Role.parse("standby_leader"));
        assertEquals(Role.UNKNOWN, Role.parse("chief"));
        assertEquals(Role.UNKNOWN, Role.parse(null));
        assertEquals("creating replica", MemberState.CREATING_REPLICA.wire());
        assertEquals(MemberState.STREAMING, MemberState.parse("streaming"));
        assertTrue(MemberState.STREAMING.isRunning());
        assertFalse(MemberState.STARTING.isRunning());
        assertEquals(MemberState.UNKNOWN, MemberState.parse("dancing"));
    }

    @Test
    void aMemberKeyRoundTrips() {
        MemberStatus m = new MemberStatus("n1", "postgres://10.0.0.1:5433/postgres", "http://10.0.0.1:8008/patroni",
                MemberState.RUNNING, Role.PRIMARY, 42, 3, Map.of("nofailover", true, "failover_priority", 2), "1.0",
                true, false, Boolean.FALSE);
        MemberStatus back = MemberStatus.parse("n1", m.toJson());
        assertEquals(m, back);
        assertTrue(m.toJson().endsWith("\"checkpoint_after_promote\":false}"), m.toJson());
        assertEquals("10.0.0.1", back.host());
        assertEquals(5433, back.port());
        assertTrue(back.nofailover());
        assertEquals(0, back.failoverPriority(), "nofailover wins over failover_priority, as in Patroni");
    }

    /** Patroni 3.2+'s tags.py: nofailover, when given, wins; else failover_priority <= 0 means never promoted. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{}                                             | false | 1",
        "{\"failover_priority\":0}                       | true  | 0",
        "{\"failover_priority\":\"0\"}                   | true  | 0",
        "{\"failover_priority\":-3}                      | true  | -3",
        "{\"failover_priority\":5}                       | false | 5",
        "{\"failover_priority\":\"x\"}                   | false | 1",
        "{\"nofailover\":true}                           | true  | 0",
        "{\"nofailover\":true,\"failover_priority\":3}   | true  | 0",
        "{\"nofailover\":false,\"failover_priority\":0}  | false | 0",
    })
    void nofailoverAndFailoverPriorityReadAsPatroniReadsThem(String tags, boolean nofailover, int priority) {
        MemberStatus m = MemberStatus.parse("n", "{\"conn_url\":\"postgres://h:5432/postgres\",\"tags\":" + tags + "}");
        assertEquals(nofailover, m.nofailover());
        assertEquals(priority, m.failoverPriority());
    }

    @Test
    void nostreamAndClonefromTags() {
        MemberStatus m = MemberStatus.parse("n", "{\"conn_url\":\"postgres://h:5432/postgres\","
                + "\"tags\":{\"nostream\":true,\"clonefrom\":\"true\"}}");
        assertTrue(m.nostream());
        assertTrue(m.clonefrom());
        MemberStatus noUrl = MemberStatus.parse("n", "{\"tags\":{\"clonefrom\":true}}");
        assertFalse(noUrl.clonefrom(), "a member without conn_url cannot be cloned from");
        assertFalse(MemberStatus.parse("n", "{}").nostream());
    }

    @Test
    void aPatroniThreeMemberKeyIsReadable() {
        MemberStatus m = MemberStatus.parse("p", "{\"conn_url\":\"postgres://h/postgres\",\"role\":\"master\","
                + "\"state\":\"running\",\"xlog_location\":7,\"tags\":{\"clonefrom\":\"true\"}}");
        assertTrue(m.isPrimary());
        assertEquals(5432, m.port());
        assertTrue(m.tag("clonefrom"));
        assertNull(m.checkpointAfterPromote());
        assertEquals(MemberState.UNKNOWN, MemberStatus.parse("x", "{not json").state());
    }

    private static ClusterView view(String leader, String sync, boolean synchronousMode, MemberStatus... members) {
        Map<String, MemberKey> keys = new java.util.TreeMap<>();
        Map<String, MemberStatus> parsed = new java.util.TreeMap<>();
        for (MemberStatus m : members) {
            keys.put(m.name(), new MemberKey(m.name(), m.toJson(), 1, 1));
            parsed.put(m.name(), m);
        }
        DynamicConfig d = DynamicConfig.defaults();
        DynamicConfig dyn = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), false, synchronousMode);
        ClusterSnapshot s = new ClusterSnapshot(1, null, null, leader == null ? null : new LeaderKey(leader, 1, 1, 1),
                keys, null, sync == null ? null : new VersionedValue(sync, 2, 2, 0), null, null);
        return new ClusterView("1", leader, 1, parsed, dyn, true, 0, s);
    }

    private static MemberStatus m(String name, MemberState state, Role role, Map<String, Object> tags) {
        return new MemberStatus(name, "postgres://h:5432/postgres", null, state, role, 1, 1, tags, null, false, false,
                null);
    }

    @Test
    void oneTakeoverRuleForDeciderRestAndCli() {
        ClusterView v = view("a", "{\"leader\":\"a\",\"sync_standby\":\"b\"}", true,
                m("a", MemberState.RUNNING, Role.PRIMARY, Map.of()),
                m("b", MemberState.RUNNING, Role.REPLICA, Map.of()),
                m("c", MemberState.RUNNING, Role.REPLICA, Map.of()),
                m("d", MemberState.STOPPED, Role.REPLICA, Map.of()),
                m("e", MemberState.RUNNING, Role.REPLICA, Map.of("nofailover", true)),
                m("f", MemberState.RUNNING, Role.PRIMARY, Map.of()));
        assertEquals(Optional.empty(), Takeover.check(v, "b", true));
        assertEquals(Optional.of(Takeover.Problem.NOT_SYNCHRONOUS), Takeover.check(v, "c", true));
        assertEquals(Optional.of(Takeover.Problem.NOT_RUNNING), Takeover.check(v, "d", true));
        assertEquals(Optional.of(Takeover.Problem.NOFAILOVER), Takeover.check(v, "e", true));
        assertEquals(Optional.of(Takeover.Problem.NOT_SYNCHRONOUS), Takeover.check(v, "e", false),
                "a manual failover may override nofailover, not synchronous mode");
        assertEquals(Optional.of(Takeover.Problem.RUNNING_AS_PRIMARY), Takeover.check(v, "f", true));
        assertEquals(Optional.of(Takeover.Problem.ALREADY_LEADER), Takeover.check(v, "a", true));
        assertEquals(Optional.of(Takeover.Problem.NOT_A_MEMBER), Takeover.check(v, "z", true));
        assertTrue(Takeover.anyoneBut(v, "a"));
        assertFalse(Takeover.anyoneBut(view("a", null, false, m("a", MemberState.RUNNING, Role.PRIMARY, Map.of()),
                m("d", MemberState.STOPPED, Role.REPLICA, Map.of())), "a"));
    }

    @Test
    void theHistoryKeyIsEditedWithoutLosingWhatItDoesNotUnderstand() {
        String json = "[[1,100,\"r\",\"t\",\"n1\"],{\"odd\":true}]";
        assertEquals(List.of(new HistoryEntry(1, 100, "r", "t", "n1")), History.entries(json));
        String appended = History.append(json, new HistoryEntry(2, 200, "s", "u", "n2"));
        assertEquals("[[1,100,\"r\",\"t\",\"n1\"],{\"odd\":true},[2,200,\"s\",\"u\",\"n2\"]]", appended);
        String annotated = History.annotate(appended, 1, "kept", new HistoryEntry(1, 100, "kept", "v", ""));
        assertTrue(annotated.startsWith("[[1,100,\"r; kept\""), annotated);
        assertEquals("[[5,7,\"x\",\"v\",\"\"]]", History.annotate(null, 5, "x", new HistoryEntry(5, 7, "x", "v", "")));
        // A value that is not a list has no lines: the next edit replaces it, as Patroni does.
        assertEquals("[[1,1,\"\",\"\",\"\"]]", History.append("{}", new HistoryEntry(1, 1, "", "", "")));
        assertEquals(List.of(), History.entries("garbage{"));
    }

    @Test
    void theFailoverKeyIsReadTolerantly() {
        ClusterSnapshot s = new ClusterSnapshot(1, null, null, null, Map.of(),
                new VersionedValue("{\"leader\":\"a\",\"member\":\"b\",\"scheduled_at\":\"2026-12-01T12:00:00+00:00\"}",
                        5, 6, 0), null, null, null);
        FailoverRequest f = ClusterView.of(s, DynamicConfig.defaults()).failover().orElseThrow();
        assertEquals("a", f.leader());
        assertEquals("b", f.candidate());
        assertEquals(6, f.modRevision());
        ClusterSnapshot garbage = new ClusterSnapshot(1, null, null, null, Map.of(),
                new VersionedValue("garbage{", 5, 7, 0), null, null, null);
        // Before issue 14 this was a request without leader or candidate: a switchover to the best replica.
        ClusterView v = ClusterView.of(garbage, DynamicConfig.defaults());
        assertEquals(Optional.empty(), v.failover());
        FailoverKey.Invalid invalid = (FailoverKey.Invalid) v.failoverKey().orElseThrow();
        assertEquals(7, invalid.modRevision());
        assertEquals(List.of("failover: neither JSON nor Patroni's legacy leader:candidate form: \"garbage{\"; "
                + "never executed, the leader removes it"), v.keyProblems());
    }

    @Test
    void garbageInTheOtherKeysMakesNoNodeAct() {
        // A negative WAL position in a member key or a history line is unknown, not "behind" or "diverged".
        MemberStatus m = MemberStatus.parse("a", "{\"state\":\"running\",\"xlog_location\":-5,\"timeline\":-1}");
        assertEquals(0, m.xlogLocation());
        assertEquals(0, m.timeline());
        assertEquals(List.of(new HistoryEntry(2, 7, "", "", "")),
                History.entries("[[1,-1,\"x\"],[\"1\",5],[0,5],[2,7],[3,1e30],{\"a\":1}]"));
        assertEquals(List.of(), History.entries("{\"a\":[1,2]}"), "an object is no list of lines");
        // A sync key without a leader lists no one, so in synchronous mode no one may be promoted.
        SyncState s = SyncState.parse("{\"leader\":5,\"sync_standby\":\"b\"}", 4);
        assertNull(s.leader());
        assertFalse(s.matches("b"));
        // Quorum commit: an unreadable quorum is not 0 (any voter alone could promote) but no one.
        for (String q : List.of("-1", "\"1\"", "1.5", "[1]", "99999999999")) {
            SyncState bad = SyncState.parse("{\"leader\":\"a\",\"sync_standby\":\"b,c\",\"quorum\":" + q + "}", 4);
            assertNull(bad.leader(), q);
            assertFalse(bad.matches("b"), q);
        }
        SyncState quorum = SyncState.parse(SyncState.toJson("a", List.of("c", "b"), 1), 4);
        assertEquals(1, quorum.quorum());
        assertEquals(java.util.Set.of("b", "c"), quorum.standbys());
        assertTrue(quorum.isQuorumStandby("b", "a"));
        assertFalse(quorum.isQuorumStandby("b", "c"), "a stale key of another leader");
        assertEquals("{\"leader\":\"a\",\"sync_standby\":\"b,c\",\"quorum\":1}", SyncState.toJson("a", List.of("c", "b"), 1));
        assertEquals(0, SyncState.parse("{\"leader\":\"a\",\"sync_standby\":\"b\"}", 4).quorum());
        assertEquals(0, ClusterView.optime("{\"optime\":-3}"));
        assertEquals(12, ClusterView.optime("12"), "Patroni's legacy bare number");
        assertEquals(12, ClusterView.optime("{\"optime\":\"12\"}"));
        ClusterSnapshot snap = new ClusterSnapshot(1, new VersionedValue("garbage", 1, 1, 0), null, null,
                Map.of("b", new MemberKey("b", "{oops", 0, 2)), null, new VersionedValue("[]", 1, 3, 0),
                new VersionedValue("nope", 1, 4, 0), new VersionedValue("{", 1, 5, 0));
        ClusterView v = ClusterView.of(snap, DynamicConfig.defaults());
        assertTrue(v.initializeUnreadable());
        assertFalse(v.uninitialized(), "the cluster exists: no one bootstraps over it");
        assertEquals(List.of("initialize: \"garbage\" is not a system identifier; data directories are not checked "
                + "against it", "sync: not a JSON object; no synchronous standby is known",
                "history: not a JSON list; read as empty (the next promotion writes a new one)",
                "status: not a JSON object; the leader's last WAL position is unknown",
                "members/b: not a JSON object; counted as not running"), v.keyProblems());
    }

    @Test
    void aScheduledRestartRoundTripsThroughTheMemberKey() {
        String json = "{\"state\":\"running\",\"role\":\"replica\",\"scheduled_restart\":{\"schedule\":"
                + "\"2026-12-24T03:00:00+01:00\",\"postgres_version\":\"16.5\",\"postmaster_start_time\":\"x\"}}";
        MemberStatus m = MemberStatus.parse("n", json);
        org.junit.jupiter.api.Assertions.assertEquals("2026-12-24T03:00:00+01:00 if version < 16.5",
                m.scheduledRestartText());
        org.junit.jupiter.api.Assertions.assertEquals(m, MemberStatus.parse("n", m.toJson()));
        MemberStatus none = MemberStatus.parse("n", "{\"state\":\"running\",\"scheduled_restart\":{}}");
        org.junit.jupiter.api.Assertions.assertNull(none.scheduledRestart(), "Patroni's empty object is none");
        org.junit.jupiter.api.Assertions.assertEquals("", none.scheduledRestartText());
        org.junit.jupiter.api.Assertions.assertNull(MemberStatus.parse("n", "{\"scheduled_restart\":7}")
                .scheduledRestart());
    }
}
