package dev.baton.leader.etcd;

import dev.baton.leader.KeyLayout;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The prefix watch behind {@link EtcdClusterStore#awaitChange} and {@link EtcdClusterStore#wakeUp}
 * (Patroni's {@code etcd3.py} keeps its watch in {@code KVCache}).
 *
 * <p>Started by the first {@link #awaitChange}, from the revision after the last read, so nothing
 * between a read and the wait is missed. Re-created (at most once per {@link #WATCH_RETRY_NANOS})
 * when it failed, was halted or the connection replaced its client; a waiting
 * {@link #awaitChange} checks that every {@link #WATCH_CHECK_NANOS}. Which changes end a wait,
 * and which do not (this store's own writes, {@code members/*} and {@code status}), is decided by
 * {@link PendingChanges} and {@link #wakesLoop}.
 *
 * <p>Every event, this store's own writes included, also goes to the {@link WatchCache} that
 * {@link EtcdClusterStore#read()} answers from; a (re-)created, failed or erring watch makes the
 * cache seed again ({@link #feedsCache()} says whether the watch can feed it at all).
 */
final class ChangeWatcher {

    private static final Logger LOG = Logger.getLogger(EtcdClusterStore.class.getName());

    /** A failed or halted watch is re-created at most this often. */
    private static final long WATCH_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** How often a waiting {@link #awaitChange} checks the watch is still alive. */
    private static final long WATCH_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    private final EtcdConnection connection;
    private final KeyLayout layout;
    private final ByteSequence prefixKey;
    private final LongSupplier ticker;
    private final WatchCache cache;

    private final Object watchLock = new Object();
    private Watch.Watcher watcher;          // guarded by watchLock
    private Client watcherClient;           // guarded by watchLock
    private long watchGeneration;           // guarded by watchLock
    private long watchRetryAtNanos;         // guarded by watchLock

    private final ReentrantLock changeLock = new ReentrantLock();
    private final Condition changed = changeLock.newCondition();
    private final PendingChanges changes = new PendingChanges();   // guarded by changeLock
    private boolean watchHealthy;           // guarded by changeLock
    private long watchGenerationSeen = -1;  // guarded by changeLock: generation the flag refers to

    ChangeWatcher(EtcdConnection connection, KeyLayout layout, WatchCache cache) {
        this.connection = connection;
        this.cache = cache;
        this.layout = layout;
        this.prefixKey = ByteSequence.from(layout.prefix(), UTF_8);
        this.ticker = connection.ticker();
    }

    /**
     * Which changes end an agent's wait early: every key but {@code members/*} and {@code status}
     * (so leader, initialize, config, failover, sync, history). Member keys and the leader's
     * status change every cycle under load; waking on them would make leader and replicas wake
     * each other in a loop, and they are read at the next regular cycle anyway.
     */
    static boolean wakesLoop(KeyLayout layout, String key) {
        return !key.startsWith(layout.membersPrefix()) && !key.equals(layout.status());
    }

    /** See {@link dev.baton.leader.ClusterStore#awaitChange(Duration)}. */
    boolean awaitChange(Duration timeout) {
        Deadline end = Deadline.in(ticker, timeout.toNanos());
        ensureWatch();
        while (true) {
            changeLock.lock();
            try {
                Deadline check = Deadline.in(ticker, WATCH_CHECK_NANOS);
                while (true) {
                    if (changes.take()) {
                        return true;
                    }
                    long now = ticker.getAsLong();
                    if (end.passedAt(now)) {
                        return false;
                    }
                    if (check.passedAt(now)) {
                        break;
                    }
                    try {
                        changed.awaitNanos(Math.min(end.remainingNanosAt(now), check.remainingNanosAt(now)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return changes.take();
                    }
                }
            } finally {
                changeLock.unlock();
            }
            ensureWatch();
        }
    }

    /** See {@link dev.baton.leader.ClusterStore#wakeUp()}. */
    void wakeUp() {
        changeLock.lock();
        try {
            changes.requestWake();
            changed.signalAll();
        } finally {
            changeLock.unlock();
        }
    }

    /** A successful write of this store at {@code revision}: not a change for {@link #awaitChange}. */
    void noteOwnRevision(long revision) {
        changeLock.lock();
        try {
            if (changes.noteOwn(revision)) {
                changed.signalAll();
            }
        } finally {
            changeLock.unlock();
        }
    }

    /** The revision of a read: a watch started later starts after it. */
    void noteKnownRevision(long revision) {
        changeLock.lock();
        try {
            changes.noteKnown(revision);
        } finally {
            changeLock.unlock();
        }
    }

    /** Forgets the watch (its listener is ignored from now on) and returns it for closing, or null. */
    Watch.Watcher detach() {
        cache.invalidate();
        synchronized (watchLock) {
            Watch.Watcher w = watcher;
            watcher = null;
            watcherClient = null;
            watchGeneration++;
            return w;
        }
    }

    /** Starts the watch, or re-creates it on the current client if it failed or the client was replaced. */
    private void ensureWatch() {
        if (connection.isClosed()) {
            return;
        }
        Client c = connection.currentClient();
        if (c == null) {
            return;
        }
        synchronized (watchLock) {
            if (connection.isClosed()) {
                return;
            }
            boolean healthy;
            long startRevision;
            changeLock.lock();
            try {
                healthy = watchHealthy && watchGenerationSeen == watchGeneration;
                startRevision = changes.watchStartRevision();
            } finally {
                changeLock.unlock();
            }
            if (watcher != null && watcherClient == c && healthy) {
                return;
            }
            long now = ticker.getAsLong();
            if (watcher != null && watcherClient == c && now - watchRetryAtNanos < 0) {
                return;   // re-create a failed watch at most once per WATCH_RETRY_NANOS
            }
            Watch.Watcher old = watcher;
            watcher = null;
            watcherClient = null;
            long generation = ++watchGeneration;
            changeLock.lock();
            try {
                watchGenerationSeen = generation;   // from here on the old listener is ignored
                watchHealthy = true;
            } finally {
                changeLock.unlock();
            }
            if (old != null) {
                EtcdConnection.closeQuietly(old, "watcher");
            }
            watchRetryAtNanos = now + WATCH_RETRY_NANOS;
            cache.watchStarted(startRevision);
            WatchOption option = WatchOption.builder().isPrefix(true).withRevision(startRevision).build();
            try {
                watcher = c.getWatchClient().watch(prefixKey, option, new WatchListener(generation));
                watcherClient = c;
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "could not start the etcd watch on " + layout.prefix(), e);
                markWatchFailed(generation, false);
            }
        }
    }

    private void markWatchFailed(long generation, boolean historyLost) {
        changeLock.lock();
        try {
            if (generation != watchGenerationSeen) {
                return;
            }
            watchHealthy = false;
            cache.invalidate();
            if (historyLost) {
                // Events were compacted away: restart from "now" and report a change so the caller re-reads.
                changes.historyLost();
                changed.signalAll();
            }
        } finally {
            changeLock.unlock();
        }
    }

    private void invalidateCache(long generation) {
        changeLock.lock();
        try {
            if (generation == watchGenerationSeen) {
                cache.invalidate();
            }
        } finally {
            changeLock.unlock();
        }
    }

    /**
     * Whether the watch runs, healthy, on the connection's current client: only then may
     * {@link WatchCache#snapshot} be trusted (it checks the rest itself).
     */
    boolean feedsCache() {
        Client c = connection.currentClient();
        synchronized (watchLock) {
            if (watcher == null || watcherClient != c || c == null) {
                return false;
            }
            changeLock.lock();
            try {
                return watchHealthy && watchGenerationSeen == watchGeneration;
            } finally {
                changeLock.unlock();
            }
        }
    }

    /** This store lost a compare-and-set: what it read was stale, so the next read is a range read. */
    void staleView() {
        cache.invalidate();
    }

    private final class WatchListener implements Watch.Listener {
        private final long generation;

        WatchListener(long generation) {
            this.generation = generation;
        }

        @Override
        public void onNext(WatchResponse response) {
            changeLock.lock();
            try {
                if (generation != watchGenerationSeen) {
                    return;
                }
                boolean any = false;
                List<WatchCache.Event> events = new ArrayList<>(response.getEvents().size());
                for (WatchEvent event : response.getEvents()) {
                    String key = event.getKeyValue().getKey().toString(UTF_8);
                    long revision = event.getKeyValue().getModRevision();
                    // This store's own writes too: they do not wake the loop, but the cache needs them.
                    events.add(event.getEventType() == WatchEvent.EventType.PUT
                            ? WatchCache.Event.put(EtcdClusterStore.raw(event.getKeyValue()))
                            : WatchCache.Event.delete(key, revision));
                    any |= changes.onEvent(revision, wakesLoop(layout, key));
                }
                cache.apply(events);
                if (any) {
                    changed.signalAll();
                }
            } finally {
                changeLock.unlock();
            }
        }

        @Override
        public void onError(Throwable error) {
            Throwable cause = EtcdErrors.unwrap(error);
            LOG.log(Level.FINE, "etcd watch on " + layout.prefix() + " failed", cause);
            // jetcd resumes from its last revision, but until it does the cache may lag: re-read.
            invalidateCache(generation);
            // jetcd re-subscribes by itself after transient errors; after a compaction it gives up.
            if (cause instanceof CompactedException) {
                markWatchFailed(generation, true);
            }
        }

        @Override
        public void onCompleted() {
            // jetcd closed the watcher for good (halting error, compaction or client closed).
            markWatchFailed(generation, false);
        }
    }
}
