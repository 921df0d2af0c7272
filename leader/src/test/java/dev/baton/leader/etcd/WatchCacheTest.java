package dev.baton.leader.etcd;

import dev.baton.leader.RawKeyValue;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watch-fed cache behind {@link EtcdClusterStore#read()}: when it answers, and that it answers exactly. */
class WatchCacheTest {

    private static final long SECOND = 1_000_000_000L;

    private final WatchCache cache = new WatchCache(5 * SECOND);

    private static RawKeyValue kv(String key, String value, long modRevision) {
        return new RawKeyValue(key, value, modRevision, modRevision, 0);
    }

    private Map<String, String> values(long now) {
        return cache.snapshot(now).orElseThrow().kvs().stream()
                .collect(Collectors.toMap(RawKeyValue::key, RawKeyValue::value));
    }

    /** A watch from 11 and a seed at 10: trusted. */
    private void seeded() {
        cache.watchStarted(11);
        cache.seed(10, List.of(kv("/s/leader", "a", 5), kv("/s/members/a", "{}", 10)), 0);
    }

    @Test
    void aSeedWithoutAWatchIsNotTrusted() {
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 0);
        assertTrue(cache.snapshot(0).isEmpty());
        assertFalse(cache.usable(0));
    }

    @Test
    void aSeedBeforeTheWatchStartedIsNotTrustedUntilSeededAgain() {
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 0);
        cache.watchStarted(11);
        assertTrue(cache.snapshot(0).isEmpty(), "the watch was (re)started: the next read must seed again");
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 1);
        assertEquals(Map.of("/s/leader", "a"), values(1));
    }

    @Test
    void aWatchStartingAfterTheSeedLeavesAGapAndIsNotTrusted() {
        cache.watchStarted(20);
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 0);
        assertTrue(cache.snapshot(0).isEmpty(), "revisions 11..19 would be missing");
    }

    @Test
    void aWatchStartedAtNowIsNotTrusted() {
        cache.watchStarted(0);
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 0);
        assertTrue(cache.snapshot(0).isEmpty());
    }

    @Test
    void eventsArePutsAndDeletesInRevisionOrder() {
        seeded();
        cache.apply(List.of(
                WatchCache.Event.put(kv("/s/failover", "{}", 11)),
                WatchCache.Event.delete("/s/leader", 12),
                WatchCache.Event.put(kv("/s/members/a", "{\"x\":1}", 13))));
        assertEquals(Map.of("/s/failover", "{}", "/s/members/a", "{\"x\":1}"), values(1));
        assertEquals(13, cache.snapshot(1).orElseThrow().revision());
    }

    @Test
    void anEventTheSeedAlreadyHasIsIgnored() {
        cache.watchStarted(6);
        cache.seed(10, List.of(kv("/s/leader", "b", 9)), 0);
        cache.apply(List.of(WatchCache.Event.put(kv("/s/leader", "a", 7)), WatchCache.Event.delete("/s/failover", 8)));
        assertEquals(Map.of("/s/leader", "b"), values(0));
        assertEquals(10, cache.snapshot(0).orElseThrow().revision());
    }

    @Test
    void anEventNewerThanTheSeedWinsEvenIfItArrivedFirst() {
        cache.watchStarted(11);
        cache.apply(List.of(WatchCache.Event.delete("/s/leader", 12), WatchCache.Event.put(kv("/s/sync", "{}", 13))));
        cache.seed(11, List.of(kv("/s/leader", "a", 5)), 0);
        assertEquals(Map.of("/s/sync", "{}"), values(0));
    }

    @Test
    void aSeedDropsKeysDeletedSinceTheLastOne() {
        seeded();
        cache.seed(20, List.of(kv("/s/members/a", "{}", 10)), 1);
        assertEquals(Map.of("/s/members/a", "{}"), values(1), "the leader key went at a revision the watch did not report");
    }

    @Test
    void invalidatedMeansTheNextReadSeedsAgain() {
        seeded();
        cache.invalidate();
        assertTrue(cache.snapshot(1).isEmpty());
        cache.seed(12, List.of(kv("/s/leader", "c", 12)), 2);
        assertEquals(Map.of("/s/leader", "c"), values(2));
    }

    @Test
    void compactionThenANewWatchFromTheNextReadTrustsOnlyTheNewSeed() {
        seeded();
        // The watch was compacted: ChangeWatcher invalidates, the next read seeds at 40, the watch restarts at 41.
        cache.invalidate();
        cache.seed(40, List.of(kv("/s/leader", "b", 30)), 1);
        cache.watchStarted(41);
        assertTrue(cache.snapshot(1).isEmpty(), "seeded before the new watch started");
        cache.seed(40, List.of(kv("/s/leader", "b", 30)), 2);
        cache.apply(List.of(WatchCache.Event.put(kv("/s/leader", "c", 41))));
        assertEquals(Map.of("/s/leader", "c"), values(2));
    }

    @Test
    void aSeedIsTrustedForTheResyncIntervalOnly() {
        seeded();
        assertTrue(cache.usable(5 * SECOND - 1));
        assertFalse(cache.usable(5 * SECOND), "a silently stalled watch: re-read after the interval");
        cache.seed(10, List.of(kv("/s/leader", "a", 5)), 5 * SECOND);
        assertTrue(cache.usable(9 * SECOND));
    }

    @Test
    void theVersionChangesWithWhatASnapshotReturns() {
        seeded();
        long v = cache.version();
        cache.apply(List.of(WatchCache.Event.put(kv("/s/leader", "a", 5))));   // already known
        assertEquals(v, cache.version());
        cache.apply(List.of(WatchCache.Event.put(kv("/s/status", "{}", 11))));
        assertNotEquals(v, cache.version());
    }

    @Test
    void snapshotsAreImmutable() {
        seeded();
        var view = cache.snapshot(0).orElseThrow();
        cache.apply(List.of(WatchCache.Event.delete("/s/leader", 11)));
        assertEquals(2, view.kvs().size());
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                () -> view.kvs().add(kv("/s/x", "", 1)));
    }
}
