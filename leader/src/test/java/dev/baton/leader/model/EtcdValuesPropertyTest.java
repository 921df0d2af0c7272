package dev.baton.leader.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever is in etcd, decoding it never throws and gives values in range: anyone with write
 * access to etcd can put anything into a key (issue 14, part 6).
 */
class EtcdValuesPropertyTest {

    @Property
    void aMemberKeyIsAlwaysReadable(@ForAll("values") String json) {
        MemberStatus m = MemberStatus.parse("node9", json);
        assertNotNull(m.state());
        assertNotNull(m.role());
        assertTrue(m.xlogLocation() >= 0 && m.timeline() >= 0, m.toString());
        m.host();
        m.port();
        m.failoverPriority();
        m.toJson();
        if (!json.trim().startsWith("{")) {
            assertTrue(!m.isRunning(), "a member key that is no JSON object is not a running member: " + json);
        }
    }

    @Property
    void theSyncKeyIsAlwaysReadable(@ForAll("values") String json) {
        SyncState s = SyncState.parse(json, 3);
        assertEquals(3, s.modRevision());
        if (s.leader() == null) {
            assertTrue(s.standbys().isEmpty(), s.toString());
            assertTrue(!s.matches("node1"), "a sync key without a leader lets no one be promoted");
        }
        assertTrue(s.standbys().stream().noneMatch(String::isBlank), s.toString());
    }

    @Property
    void historyLinesAreInRange(@ForAll("values") String json) {
        for (HistoryEntry e : History.entries(json)) {
            assertTrue(e.timeline() >= 1 && e.lsn() >= 0, e.toString());
            assertNotNull(e.reason());
        }
        History.append(json, new HistoryEntry(1, 1, "", "", ""));
    }

    @Property
    void aFailoverKeyIsARequestNamingSomeoneOrInvalid(@ForAll("values") String value) {
        FailoverKey.parse(value, 5).ifPresent(k -> {
            assertEquals(5, k.modRevision());
            if (k instanceof FailoverRequest r) {
                assertTrue(r.leader() != null || r.candidate() != null, r.toString());
                for (String name : new String[] {r.leader(), r.candidate()}) {
                    assertTrue(name == null || name.matches("[A-Za-z0-9_.-]+"), r.toString());
                }
            } else {
                FailoverKey.Invalid i = (FailoverKey.Invalid) k;
                assertTrue(i.reason().chars().noneMatch(Character::isISOControl), i.reason());
            }
        });
    }

    @Property
    void aWholeSnapshotOfGarbageIsReadable(@ForAll("values") String a, @ForAll("values") String b,
                                           @ForAll("values") String c) {
        ClusterSnapshot s = new ClusterSnapshot(1, new VersionedValue(a, 1, 1, 0), new VersionedValue(b, 1, 2, 0),
                new LeaderKey(c, 7, 1, 3), Map.of("node1", new MemberKey("node1", a, 7, 4)),
                new VersionedValue(b, 1, 5, 0), new VersionedValue(c, 1, 6, 0), new VersionedValue(a, 1, 7, 0),
                new VersionedValue(b, 1, 8, 0));
        DynamicConfig last = new DynamicConfig(30, 10, 10, 1 << 20, 10, true, true, Map.of(), true, true);
        ClusterView v = ClusterView.of(s, DynamicConfig.defaults(), last);
        assertTrue(v.lastLeaderLsn() >= 0);
        v.failover();
        v.sync();
        v.history();
        v.divergedFrom(1, 100);
        v.mayPromote("node1");
        v.uninitialized();
        v.initializeUnreadable();
        assertTrue(v.keyProblems().stream().allMatch(p -> p.chars().noneMatch(Character::isISOControl)), v.keyProblems()::toString);
        assertTrue(v.dynamic().validate("config").isEmpty());
    }

    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> scalars = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(12)
                        .map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
                Arbitraries.longs().map(String::valueOf), Arbitraries.of("true", "null", "1e308", "-1",
                        "99999999999999999999999", "\"2026-12-01 12:00:00\"", "\"node1\"", "[]", "{}"));
        Arbitrary<String> fields = Arbitraries.of("leader", "member", "scheduled_at", "sync_standby", "optime",
                "xlog_location", "timeline", "state", "role", "tags", "conn_url", "checkpoint_after_promote", "pause");
        Arbitrary<String> objects = Arbitraries.maps(fields, scalars).ofMaxSize(5).map(m -> {
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
            return sb.append('}').toString();
        });
        Arbitrary<String> lists = scalars.list().ofMaxSize(5).map(l -> "[" + String.join(",", l) + "]")
                .list().ofMaxSize(3).map(l -> "[" + String.join(",", l) + "]");
        return Arbitraries.oneOf(Arbitraries.strings(), objects, lists, scalars);
    }
}
