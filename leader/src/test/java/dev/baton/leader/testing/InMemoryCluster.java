package dev.baton.leader.testing;

import java.util.List;
import java.util.ArrayList;
import dev.baton.leader.SnapshotDecoder;
import dev.baton.leader.RawKeyValue;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.StoreUnavailableException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * One cluster's keys in memory, with etcd's semantics where Baton relies on them: a global
 * revision, create and mod revisions per key, leases that expire on a (fake) monotonic ticker
 * and take their keys with them, and compare-and-set. Each member talks to it through its own
 * {@link InMemoryClusterStore}; a test can take the whole store down, or cut one member off.
 */
public final class InMemoryCluster {

    /** One key's value and revisions. */
    record Entry(String value, long create, long mod, long lease) {
    }

    private record Lease(long ttlSeconds, long expiresAt) {
    }

    private final KeyLayout layout;
    private final LongSupplier ticker;
    private final Map<String, Entry> keys = new TreeMap<>();
    private final Map<Long, Lease> leases = new TreeMap<>();
    private final Set<String> cutOff = new HashSet<>();
    private long revision = 1;
    private long nextLease = 0x7E57_0001L;
    private boolean down;

    public InMemoryCluster(String scope, LongSupplier ticker) {
        this.layout = new KeyLayout("/service/", scope);
        this.ticker = ticker;
    }

    /** A store acting for {@code member} with leases of {@code ttlSeconds}. */
    public InMemoryClusterStore store(String member, long ttlSeconds) {
        return new InMemoryClusterStore(this, member, ttlSeconds, ticker);
    }

    /**
     * etcd is down for everyone, or back. As with a real etcd, leases do not expire while it is
     * down, and every lease gets its whole ttl again when it comes back (the new etcd leader
     * renews them on election).
     */
    public synchronized void down(boolean isDown) {
        if (down && !isDown) {
            long now = ticker.getAsLong();
            leases.replaceAll((id, l) -> new Lease(l.ttlSeconds(), now + l.ttlSeconds() * 1_000_000_000L));
        }
        down = isDown;
    }

    /** {@code member} cannot reach the store (or can again). */
    public synchronized void cutOff(String member, boolean isCut) {
        if (isCut) {
            cutOff.add(member);
        } else {
            cutOff.remove(member);
        }
    }

    /** The current revision. */
    public synchronized long revision() {
        return revision;
    }

    /** What an operator with etcdctl would see (leases expired as of now), decoded as the agents' store decodes it. */
    public synchronized ClusterSnapshot snapshot() {
        expire();
        List<RawKeyValue> kvs = new ArrayList<>();
        keys.forEach((relative, e) -> kvs.add(new RawKeyValue(layout.key(relative), e.value(), e.create(), e.mod(),
                e.lease())));
        return SnapshotDecoder.decode(layout, revision, kvs);
    }

    /** A key's value, as etcdctl get would show it. */
    public synchronized Optional<String> value(String relative) {
        expire();
        return Optional.ofNullable(keys.get(relative)).map(Entry::value);
    }

    /** Writes a key as an operator would with etcdctl put (no lease). */
    public synchronized void put(String relative, String value) {
        putKey(relative, value, 0);
    }

    /** Overwrites a key's value and keeps the lease it is bound to (etcdctl put --ignore-lease). */
    public synchronized void overwrite(String relative, String value) {
        Entry e = keys.get(relative);
        putKey(relative, value, e == null ? 0 : e.lease());
    }

    /** Deletes a key as an operator would. */
    public synchronized void delete(String relative) {
        keys.remove(relative);
        revision++;
    }

    /** Ends lease {@code id} now, as if it had expired, with every key bound to it. */
    public synchronized void expireLease(long id) {
        leases.remove(id);
        keys.values().removeIf(e -> e.lease() == id);
        revision++;
    }

    /** The lease the leader key is bound to, 0 if there is no leader key. */
    public synchronized long leaderLease() {
        Entry l = keys.get("leader");
        return l == null ? 0 : l.lease();
    }

    /** The TTL lease {@code id} was granted with, 0 if it is gone (expired or revoked). */
    public synchronized long leaseTtl(long id) {
        expire();
        Lease l = leases.get(id);
        return l == null ? 0 : l.ttlSeconds();
    }

    /** The lease {@code relative} is bound to, 0 if the key is absent or has no lease. */
    public synchronized long leaseOf(String relative) {
        expire();
        Entry e = keys.get(relative);
        return e == null ? 0 : e.lease();
    }

    // ---------------------------------------------------------------- for InMemoryClusterStore

    synchronized void reachable(String member) {
        if (down || cutOff.contains(member)) {
            throw new StoreUnavailableException("etcd is not reachable (in-memory store " + (down ? "down" : "cut off") + ")");
        }
        expire();
    }

    synchronized Entry get(String relative) {
        return keys.get(relative);
    }

    synchronized long putKey(String relative, String value, long lease) {
        Entry old = keys.get(relative);
        revision++;
        keys.put(relative, new Entry(value, old == null ? revision : old.create(), revision, lease));
        return revision;
    }

    synchronized void deleteKey(String relative) {
        if (keys.remove(relative) != null) {
            revision++;
        }
    }

    synchronized void deleteAll() {
        keys.clear();
        revision++;
    }

    synchronized long grant(long ttlSeconds) {
        long id = nextLease++;
        leases.put(id, new Lease(ttlSeconds, ticker.getAsLong() + ttlSeconds * 1_000_000_000L));
        return id;
    }

    /** Keeps lease {@code id} alive; false if it is gone. */
    synchronized boolean keepAlive(long id) {
        Lease l = leases.get(id);
        if (l == null) {
            return false;
        }
        leases.put(id, new Lease(l.ttlSeconds(), ticker.getAsLong() + l.ttlSeconds() * 1_000_000_000L));
        return true;
    }

    /** Binds {@code relative} to lease {@code to} if it is bound to {@code from} and {@code accept}s its value. */
    synchronized boolean moveKey(String relative, long from, long to, java.util.function.Predicate<String> accept) {
        Entry e = keys.get(relative);
        if (e == null || e.lease() != from || !accept.test(e.value())) {
            return false;
        }
        putKey(relative, e.value(), to);
        return true;
    }

    synchronized boolean leaseAlive(long id) {
        return leases.containsKey(id);
    }

    private void expire() {
        if (down) {
            return;
        }
        long now = ticker.getAsLong();
        Set<Long> gone = new HashSet<>();
        leases.forEach((id, l) -> {
            if (now - l.expiresAt() >= 0) {
                gone.add(id);
            }
        });
        if (!gone.isEmpty()) {
            gone.forEach(leases::remove);
            keys.values().removeIf(e -> gone.contains(e.lease()));
            revision++;
        }
    }
}
