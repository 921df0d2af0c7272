package dev.baton.leader.etcd;

import dev.baton.leader.RawKeyValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster's keys as the prefix watch reports them, so that {@link EtcdClusterStore#read()}
 * needs no request while the watch is healthy (Patroni's {@code etcd3.py} {@code KVCache}). Free
 * of threads and jetcd, so it is tested on its own; every method is synchronized (the watch's
 * thread applies events, the HA loop reads).
 *
 * <h2>How it stays exact</h2>
 * It is seeded by a range read at revision {@code R} ({@link #seed}) and fed the watch's events
 * ({@link #apply}). Every key remembers the revision of what it last saw of it (a put's mod
 * revision, a deletion's revision), and a newer revision always wins, so seeds and events may
 * arrive in any order: an event the seed already contains is ignored, an event newer than the
 * seed is kept whether it came before or after the seed.
 *
 * <p>It answers {@link #snapshot} only when nothing can be missing: the watch feeding it was started
 * ({@link #watchStarted}) at a revision {@code S} no later than {@code R + 1} (so every change after
 * the seed is delivered), the seed was taken after that start, and nothing invalidated it since.
 * {@link #invalidate()} is called when the watch fails, errs or is compacted, when the client is
 * replaced, and after this store lost a compare-and-set (its view was stale); the next read is then
 * a range read that seeds it again.
 *
 * <p>Against a watch that stalls without an error, a seed is trusted for {@code resyncNanos} only
 * (half the lease TTL in {@link EtcdClusterStore}): after that the next read is a range read again.
 */
final class WatchCache {

    /** One watch event: {@code kv} is the new key for a put, null for a deletion at {@code revision}. */
    record Event(String key, RawKeyValue kv, long revision) {
        static Event put(RawKeyValue kv) {
            return new Event(kv.key(), kv, kv.modRevision());
        }

        static Event delete(String key, long revision) {
            return new Event(key, null, revision);
        }
    }

    /** What the cache knows of one key: its value (null: deleted) as of {@code revision}. */
    private record Entry(long revision, RawKeyValue kv) {
    }

    /** A consistent view: the keys and the revision they are known at. */
    record View(long revision, List<RawKeyValue> kvs) {
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private long resyncNanos;
    private long watchStartRevision;    // 0: no watch with a known start feeds the cache
    private boolean seededSinceStart;
    private long seedRevision;
    private long seededAtNanos;
    private long maxRevision;
    private boolean valid;
    private long version;               // bumped on every change of what snapshot() returns

    /** @param resyncNanos how long a seed is trusted before a range read re-seeds it */
    WatchCache(long resyncNanos) {
        setResyncNanos(resyncNanos);
    }

    synchronized void setResyncNanos(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("resyncNanos must be positive, got " + nanos);
        }
        resyncNanos = nanos;
    }

    /**
     * A new watch feeds the cache from {@code startRevision} on (0: "now", unknown, so the cache
     * cannot be trusted with it). The cache must be seeded again.
     */
    synchronized void watchStarted(long startRevision) {
        watchStartRevision = startRevision;
        seededSinceStart = false;
        valid = false;
        version++;
    }

    /** The watch failed, stopped or lost history, the client changed, or a compare-and-set failed. */
    synchronized void invalidate() {
        if (valid) {
            version++;
        }
        valid = false;
    }

    /** A range read of every key at {@code revision}, finished at {@code nowNanos}. */
    synchronized void seed(long revision, List<RawKeyValue> kvs, long nowNanos) {
        Map<String, RawKeyValue> read = new TreeMap<>();
        for (RawKeyValue kv : kvs) {
            read.put(kv.key(), kv);
        }
        // Keys the read does not have: deleted at or before the read, unless an event is newer.
        entries.entrySet().removeIf(e -> e.getValue().revision() <= revision && !read.containsKey(e.getKey()));
        for (RawKeyValue kv : read.values()) {
            Entry known = entries.get(kv.key());
            if (known == null || known.revision() <= revision) {
                entries.put(kv.key(), new Entry(kv.modRevision(), kv));
            }
        }
        seedRevision = revision;
        seededAtNanos = nowNanos;
        maxRevision = Math.max(maxRevision, revision);
        seededSinceStart = watchStartRevision > 0;
        valid = watchStartRevision > 0 && revision + 1 >= watchStartRevision;
        version++;
    }

    /** Events of the watch, in the order it delivered them. */
    synchronized void apply(List<Event> events) {
        for (Event e : events) {
            Entry known = entries.get(e.key());
            if (known == null || known.revision() < e.revision()) {
                entries.put(e.key(), new Entry(e.revision(), e.kv()));
                version++;
            }
            maxRevision = Math.max(maxRevision, e.revision());
        }
    }

    /**
     * The keys, when the cache can be trusted at {@code nowNanos}; empty when the next read must
     * be a range read (never seeded, invalidated, or the seed is older than {@code resyncNanos}).
     */
    synchronized Optional<View> snapshot(long nowNanos) {
        if (!usable(nowNanos)) {
            return Optional.empty();
        }
        List<RawKeyValue> kvs = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            if (e.kv() != null) {
                kvs.add(e.kv());
            }
        }
        return Optional.of(new View(maxRevision, List.copyOf(kvs)));
    }

    /** Whether {@link #snapshot} answers at {@code nowNanos}. */
    synchronized boolean usable(long nowNanos) {
        return valid && seededSinceStart && nowNanos - seededAtNanos < resyncNanos;
    }

    /** Changes whenever what {@link #snapshot} returns may have changed (for memoising a decode). */
    synchronized long version() {
        return version;
    }

    /** The revision of the last seed, 0 before the first. */
    synchronized long seedRevision() {
        return seedRevision;
    }
}
