package dev.baton.leader.testing;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.testing.InMemoryCluster.Entry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * A {@link ClusterStore} over an {@link InMemoryCluster}, for cycle-by-cycle tests of the HA loop:
 * the same contract as the etcd store (a lost race returns false, an unreachable store throws),
 * one lease per member renewed only by {@link #renewLease()}, and no waiting: {@link #awaitChange}
 * returns at once.
 */
public final class InMemoryClusterStore implements ClusterStore {
    private final InMemoryCluster cluster;
    private final String member;
    private final LongSupplier ticker;
    private long ttlSeconds;
    private long leaseId;
    private boolean unreportedNewLease;
    private Duration requestTimeout;
    private int regrants;

    InMemoryClusterStore(InMemoryCluster cluster, String member, long ttlSeconds, LongSupplier ticker) {
        this.cluster = cluster;
        this.member = member;
        this.ttlSeconds = ttlSeconds;
        this.ticker = ticker;
    }

    @Override
    public String memberName() {
        return member;
    }

    @Override
    public synchronized ClusterSnapshot read() {
        cluster.reachable(member);
        return cluster.snapshot();
    }

    @Override
    public synchronized LeaseRenewal renewLease() {
        long sentAt = ticker.getAsLong();
        cluster.reachable(member);
        boolean fresh = unreportedNewLease;
        unreportedNewLease = false;
        if (leaseId == 0 || !cluster.keepAlive(leaseId)) {
            leaseId = cluster.grant(ttlSeconds);
            fresh = true;
        }
        return new LeaseRenewal(leaseId, ttlSeconds, sentAt, fresh);
    }

    /** As the etcd store: a new lease, this member's keys moved onto it, the old one revoked. */
    @Override
    public synchronized Optional<LeaseRenewal> retime(long ttl, Duration timeout) {
        requestTimeout = timeout;
        if (leaseId == 0 || ttl == ttlSeconds) {
            ttlSeconds = ttl;
            return Optional.empty();
        }
        long sentAt = ticker.getAsLong();
        cluster.reachable(member);
        synchronized (cluster) {
            long old = leaseId;
            long fresh = cluster.grant(ttl);
            cluster.moveKey("leader", old, fresh, member::equals);
            cluster.moveKey("members/" + member, old, fresh, v -> true);
            cluster.expireLease(old);
            leaseId = fresh;
            ttlSeconds = ttl;
            unreportedNewLease = true;
            regrants++;
            return Optional.of(new LeaseRenewal(fresh, ttl, sentAt, false));
        }
    }

    /** The request timeout of the last {@link #retime}, null before the first. */
    public synchronized Duration requestTimeout() {
        return requestTimeout;
    }

    /** How often {@link #retime} re-granted the lease. */
    public synchronized int regrants() {
        return regrants;
    }

    /** The TTL this store asks for. */
    public synchronized long ttlSeconds() {
        return ttlSeconds;
    }

    @Override
    public synchronized long leaseId() {
        return leaseId;
    }

    /** A live lease, granted here if needed (reported as new by the next renewal). */
    private long lease() {
        if (leaseId == 0 || !cluster.leaseAlive(leaseId)) {
            leaseId = cluster.grant(ttlSeconds);
            unreportedNewLease = true;
        }
        return leaseId;
    }

    @Override
    public synchronized boolean tryAcquireLeader() {
        cluster.reachable(member);
        synchronized (cluster) {
            if (cluster.get("leader") != null) {
                return false;
            }
            cluster.putKey("leader", member, lease());
            return true;
        }
    }

    @Override
    public synchronized boolean confirmLeader() {
        if (leaseId == 0) {
            return false;
        }
        cluster.reachable(member);
        Entry e = cluster.get("leader");
        return e != null && leaseId != 0 && e.lease() == leaseId && member.equals(e.value());
    }

    @Override
    public synchronized boolean rebindLeader(long expectedModRevision) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get("leader");
            if (e == null || e.mod() != expectedModRevision || !member.equals(e.value())) {
                return false;
            }
            cluster.putKey("leader", member, lease());
            return true;
        }
    }

    @Override
    public synchronized boolean repairLeader(long expectedModRevision) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get("leader");
            if (e == null || e.mod() != expectedModRevision || (e.lease() != leaseId && e.lease() != 0)) {
                return false;
            }
            cluster.putKey("leader", member, lease());
            return true;
        }
    }

    @Override
    public synchronized boolean releaseLeader() {
        if (leaseId == 0) {
            return false;
        }
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get("leader");
            if (e == null || e.lease() != leaseId || !member.equals(e.value())) {
                return false;
            }
            cluster.deleteKey("leader");
            return true;
        }
    }

    @Override
    public synchronized void publishMember(String json) {
        cluster.reachable(member);
        cluster.putKey("members/" + member, json, lease());
    }

    @Override
    public synchronized void deleteMember() {
        cluster.reachable(member);
        cluster.deleteKey("members/" + member);
    }

    @Override
    public boolean createInitialize(String value) {
        return cas("initialize", value, 0);
    }

    @Override
    public boolean replaceInitialize(String expected, String value) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get("initialize");
            if (e == null || !e.value().equals(expected)) {
                return false;
            }
            cluster.putKey("initialize", value, 0);
            return true;
        }
    }

    @Override
    public boolean deleteInitialize(String expected) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get("initialize");
            if (e == null || !e.value().equals(expected)) {
                return false;
            }
            cluster.deleteKey("initialize");
            return true;
        }
    }

    @Override
    public boolean casConfig(String json, long expectedModRevision) {
        return cas("config", json, expectedModRevision);
    }

    @Override
    public boolean casFailover(String json, long expectedModRevision) {
        return cas("failover", json, expectedModRevision);
    }

    @Override
    public boolean deleteFailover(long expectedModRevision) {
        if (expectedModRevision == 0) {
            cluster.reachable(member);
            cluster.deleteKey("failover");
            return true;
        }
        return delete("failover", expectedModRevision);
    }

    @Override
    public boolean casSync(String json, long expectedModRevision) {
        return cas("sync", json, expectedModRevision);
    }

    @Override
    public boolean deleteSync(long expectedModRevision) {
        return delete("sync", expectedModRevision);
    }

    @Override
    public boolean casBackup(String json, long expectedModRevision) {
        return cas("backup", json, expectedModRevision);
    }

    @Override
    public void putHistory(String json) {
        cluster.reachable(member);
        cluster.putKey("history", json, 0);
    }

    @Override
    public void putStatus(String json) {
        cluster.reachable(member);
        cluster.putKey("status", json, 0);
    }

    @Override
    public void putFailsafe(String json) {
        cluster.reachable(member);
        cluster.putKey("failsafe", json, 0);
    }

    @Override
    public void deleteCluster() {
        cluster.reachable(member);
        cluster.deleteAll();
    }

    @Override
    public boolean awaitChange(Duration timeout) {
        return false;
    }

    @Override
    public void wakeUp() {
        // nothing waits: awaitChange returns at once
    }

    @Override
    public Optional<String> get(String relativeKey) {
        cluster.reachable(member);
        return cluster.value(relativeKey);
    }

    @Override
    public void close() {
    }

    /** Create-if-absent ({@code expected} 0) or compare the mod revision, as the etcd store does. */
    private boolean cas(String key, String value, long expected) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get(key);
            boolean ok = expected == 0 ? e == null : e != null && e.mod() == expected;
            if (ok) {
                cluster.putKey(key, value, 0);
            }
            return ok;
        }
    }

    private boolean delete(String key, long expected) {
        cluster.reachable(member);
        synchronized (cluster) {
            Entry e = cluster.get(key);
            // etcd's compare on mod revision: 0 matches only a missing key.
            if (e == null || e.mod() != expected) {
                return e == null && expected == 0;
            }
            cluster.deleteKey(key);
            return true;
        }
    }

    @Override
    public String toString() {
        return "InMemoryClusterStore[" + Objects.requireNonNull(member) + "]";
    }
}
