package dev.baton.leader;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotDecoderTest {

    private static final KeyLayout LAYOUT = new KeyLayout("/service/", "demo");

    private static RawKeyValue kv(String relative, String value, long create, long mod, long lease) {
        return new RawKeyValue(LAYOUT.key(relative), value, create, mod, lease);
    }

    @Test
    void everyKeyOfTheLayoutLandsInItsField() {
        ClusterSnapshot s = SnapshotDecoder.decode(LAYOUT, 42, List.of(
                kv("leader", "node1", 10, 11, 0x7a),
                kv("initialize", "7301234567890123456", 2, 2, 0),
                kv("config", "{\"ttl\":30}", 3, 4, 0),
                kv("failover", "{\"member\":\"node2\"}", 5, 6, 0),
                kv("sync", "{\"leader\":\"node1\"}", 7, 8, 0),
                kv("history", "[[1,25165984]]", 9, 9, 0),
                kv("status", "{\"optime\":1}", 12, 40, 0),
                kv("backup", "{\"full\":\"2026-12-06T03:00:00Z\"}", 13, 41, 0)));

        assertEquals(42, s.revision());
        assertEquals(new LeaderKey("node1", 0x7a, 10, 11), s.leader());
        assertEquals(new VersionedValue("7301234567890123456", 2, 2, 0), s.initialize());
        assertEquals(new VersionedValue("{\"ttl\":30}", 3, 4, 0), s.config());
        assertEquals(new VersionedValue("{\"member\":\"node2\"}", 5, 6, 0), s.failover());
        assertEquals(new VersionedValue("{\"leader\":\"node1\"}", 7, 8, 0), s.sync());
        assertEquals(new VersionedValue("[[1,25165984]]", 9, 9, 0), s.history());
        assertEquals(new VersionedValue("{\"optime\":1}", 12, 40, 0), s.status());
        assertEquals(new VersionedValue("{\"full\":\"2026-12-06T03:00:00Z\"}", 13, 41, 0), s.backup());
        assertTrue(s.members().isEmpty());
    }

    @Test
    void membersAreKeyedByNameAndSorted() {
        ClusterSnapshot s = SnapshotDecoder.decode(LAYOUT, 9, List.of(
                kv("members/node2", "{\"b\":2}", 5, 8, 0x2),
                kv("members/node1", "{\"a\":1}", 3, 4, 0x1),
                kv("members/", "{}", 6, 6, 0)));

        assertEquals(List.of("node1", "node2"), List.copyOf(s.members().keySet()), "sorted, nameless key skipped");
        assertEquals(new MemberKey("node1", "{\"a\":1}", 0x1, 4), s.members().get("node1"));
        assertEquals(new MemberKey("node2", "{\"b\":2}", 0x2, 8), s.members().get("node2"));
    }

    @Test
    void keysOutsideThePrefixAndUnknownKeysAreSkipped() {
        ClusterSnapshot s = SnapshotDecoder.decode(LAYOUT, 3, List.of(
                new RawKeyValue("/service/demo2/leader", "other", 1, 1, 0),
                new RawKeyValue("/service/leader", "other", 1, 1, 0),
                kv("optime/leader", "123", 1, 1, 0)));

        assertEquals(new ClusterSnapshot(3, null, null, null, Map.of(), null, null, null, null), s);
    }

    @Test
    void theFailsafeKeyIsRead() {
        ClusterSnapshot s = SnapshotDecoder.decode(LAYOUT, 3, List.of(kv("failsafe", "{\"n1\":\"http://a/patroni\"}", 1, 2, 0)));
        assertEquals("{\"n1\":\"http://a/patroni\"}", s.failsafe().value());
    }

    @Test
    void anEmptyValueIsKeptAsEmpty() {
        ClusterSnapshot s = SnapshotDecoder.decode(LAYOUT, 1, List.of(kv("initialize", "", 1, 1, 0)));
        assertEquals("", s.initialize().value(), "bootstrap in progress");
        assertNull(s.leader());
    }

    @Test
    void nothingReadIsTheEmptySnapshotAtThatRevision() {
        assertEquals(new ClusterSnapshot(0, null, null, null, Map.of(), null, null, null, null),
                SnapshotDecoder.decode(LAYOUT, 0, List.of()));
        assertEquals(ClusterSnapshot.empty(), SnapshotDecoder.decode(LAYOUT, 0, List.of()));
    }
}
