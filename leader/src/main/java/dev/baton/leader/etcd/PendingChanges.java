package dev.baton.leader.etcd;

import java.util.TreeSet;

/**
 * What the watch has seen and not yet reported: the bookkeeping behind
 * {@link dev.baton.leader.ClusterStore#awaitChange}, kept free of threads and jetcd so it can be
 * tested on its own. Not thread-safe: {@link ChangeWatcher} guards it with its lock.
 *
 * <p>A change is reported once: {@link #take()} consumes it. Revisions written by this store
 * itself ({@link #noteOwn}) are not changes: the leader writes {@code status} every cycle and
 * would otherwise wake itself. A deletion by lease expiry happens at a revision this store never
 * wrote, so it is always reported.
 */
final class PendingChanges {

    /** How many of this store's own write revisions are remembered (the oldest are forgotten). */
    static final int MAX_OWN_REVISIONS = 1024;

    private final TreeSet<Long> pending = new TreeSet<>();
    private final TreeSet<Long> own = new TreeSet<>();
    private boolean wakeRequested;
    private long lastKnownRevision;

    /**
     * One event of the watch at {@code modRevision}; {@code wakesLoop} says whether its key is one
     * a waiting agent must react to at once. Returns whether it became a pending change.
     */
    boolean onEvent(long modRevision, boolean wakesLoop) {
        lastKnownRevision = Math.max(lastKnownRevision, modRevision);
        if (wakesLoop) {
            pending.add(modRevision);
        }
        return wakesLoop;
    }

    /** A successful write of this store at {@code revision}. Returns whether a change is pending. */
    boolean noteOwn(long revision) {
        own.add(revision);
        while (own.size() > MAX_OWN_REVISIONS) {
            own.pollFirst();
        }
        return !pending.isEmpty();
    }

    /** A revision seen by a read: the watch, when it has to start, starts after it. */
    void noteKnown(long revision) {
        if (revision > lastKnownRevision) {
            lastKnownRevision = revision;
        }
    }

    /** A wake-up from outside ({@code wakeUp()}), or a change that must be assumed. */
    void requestWake() {
        wakeRequested = true;
    }

    /** The watch lost history (compaction): it restarts from "now" and the caller must re-read. */
    void historyLost() {
        lastKnownRevision = 0;
        wakeRequested = true;
    }

    /** The revision a new watch starts at: the one after the last known, or 0 for "now". */
    long watchStartRevision() {
        return lastKnownRevision > 0 ? lastKnownRevision + 1 : 0;
    }

    /** Consumes a pending change (own writes do not count) or a wake-up; true if there was one. */
    boolean take() {
        if (!pending.isEmpty()) {
            pending.removeAll(own);
        }
        if (wakeRequested || !pending.isEmpty()) {
            wakeRequested = false;
            pending.clear();
            return true;
        }
        return false;
    }
}
