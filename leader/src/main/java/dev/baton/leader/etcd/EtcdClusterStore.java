package dev.baton.leader.etcd;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.RawKeyValue;
import dev.baton.leader.SnapshotDecoder;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.options.DeleteOption;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

import static dev.baton.leader.etcd.EtcdKv.absent;
import static dev.baton.leader.etcd.EtcdKv.bytes;
import static dev.baton.leader.etcd.EtcdKv.deleteOp;
import static dev.baton.leader.etcd.EtcdKv.modRevisionIs;
import static dev.baton.leader.etcd.EtcdKv.putOp;
import static dev.baton.leader.etcd.EtcdKv.putWithLeaseOp;
import static dev.baton.leader.etcd.EtcdKv.valueIs;
import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * {@link ClusterStore} on etcd v3 through jetcd, with Patroni's key layout and semantics: the
 * transactions of Patroni's {@code etcd3.py} ({@code Etcd3}) on top of three layers, as there:
 * <ul>
 *   <li>{@link EtcdConnection}: the jetcd client, its rebuild after connectivity failures, the
 *       shared deadline of every call ({@code opTimeout}) and the mapping of every failure to
 *       {@link dev.baton.leader.StoreUnavailableException}. A compare that fails returns
 *       {@code false}.</li>
 *   <li>{@link LeaseKeeper}: the one lease, granted lazily, renewed once per {@link #renewLease()}
 *       and never by a background stream; re-granted with this member's keys moved onto it when
 *       the cluster's ttl changes ({@link #retime}).</li>
 *   <li>{@link ChangeWatcher}: the prefix watch behind {@link #awaitChange(Duration)}, which
 *       ignores this store's own writes.</li>
 *   <li>{@link EtcdKv}: the range, put, delete and txn requests the transactions below are made of.</li>
 * </ul>
 * The snapshot is decoded by {@link SnapshotDecoder}, the same decoder the CLI uses for etcd's
 * JSON gateway ({@link EtcdGatewayReader}).
 *
 * <p>jetcd 0.8.4 has no lease compare target, so "the leader key is ours" is checked by reading
 * the key (value and lease) and, for deletion, by a transaction on the mod revision that was
 * read: a key cannot change its lease without changing its mod revision.
 */
public final class EtcdClusterStore implements ClusterStore {
    private static final java.util.logging.Logger LOG =
            java.util.logging.Logger.getLogger(EtcdClusterStore.class.getName());

    private final KeyLayout layout;
    private final String memberName;
    private final EtcdConnection connection;
    private final LeaseKeeper lease;
    private final ChangeWatcher watch;
    private final WatchCache cache;
    private final EtcdKv kv;

    private final Object memoLock = new Object();
    private long memoVersion = -1;          // guarded by memoLock: the cache version memo was decoded at
    private ClusterSnapshot memo;           // guarded by memoLock

    private final ByteSequence prefixKey;
    private final ByteSequence leaderKey;
    private final ByteSequence memberKey;
    private final ByteSequence memberNameBytes;

    /**
     * Builds the store and its jetcd client on plain access (no user; TLS only for
     * {@code https://} endpoints, trusting the JDK's CAs); performs no I/O.
     *
     * @param endpoints etcd client endpoints as {@code host:port}, {@code http://host:port} or
     *                  {@code https://host:port}
     * @see #EtcdClusterStore(EtcdAccess, KeyLayout, String, long, Duration, LongSupplier)
     */
    public EtcdClusterStore(List<String> endpoints, KeyLayout layout, String memberName, long ttlSeconds,
                            Duration opTimeout, LongSupplier nanoTicker) {
        this(EtcdAccess.plain(Objects.requireNonNull(endpoints, "endpoints")), layout, memberName, ttlSeconds,
                opTimeout, nanoTicker);
    }

    /**
     * Builds the store and its jetcd client; performs no I/O but reading the TLS files.
     *
     * @param access     how to reach etcd: endpoints, TLS files, user and password
     * @param layout     the key layout of the cluster
     * @param memberName this member's name (the value of the leader key)
     * @param ttlSeconds the lease TTL to ask for (etcd may raise it to its minimum)
     * @param opTimeout  the bound of every call
     * @param nanoTicker the monotonic clock of {@link LeaseRenewal#sentAtNanos()} (the HA loop's);
     *                   deadlines and waits always run on {@link System#nanoTime()}, so no ticker
     *                   can make a call unbounded
     * @throws IllegalArgumentException on a bad argument, or naming the key ({@code etcd3.cert: ...})
     *                                  when the TLS files cannot be used
     */
    public EtcdClusterStore(EtcdAccess access, KeyLayout layout, String memberName, long ttlSeconds,
                            Duration opTimeout, LongSupplier nanoTicker) {
        Objects.requireNonNull(access, "access");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.memberName = Objects.requireNonNull(memberName, "memberName");
        Objects.requireNonNull(opTimeout, "opTimeout");
        Objects.requireNonNull(nanoTicker, "nanoTicker");
        if (memberName.isBlank() || memberName.contains("/")) {
            throw new IllegalArgumentException("member name must be non-empty and contain no '/': '" + memberName + "'");
        }
        if (ttlSeconds < 1) {
            throw new IllegalArgumentException("ttlSeconds must be at least 1, got " + ttlSeconds);
        }
        if (opTimeout.toMillis() < 10) {
            throw new IllegalArgumentException("opTimeout must be at least 10 ms, got " + opTimeout);
        }
        this.prefixKey = bytes(layout.prefix());
        this.leaderKey = bytes(layout.leader());
        this.memberKey = bytes(layout.member(memberName));
        this.memberNameBytes = bytes(memberName);
        this.connection = EtcdConnection.open(access, opTimeout, System::nanoTime);
        this.lease = new LeaseKeeper(connection, nanoTicker, memberName, ttlSeconds);
        this.cache = new WatchCache(resyncNanos(ttlSeconds));
        this.watch = new ChangeWatcher(connection, layout, cache);
        this.kv = new EtcdKv(connection, watch);
    }

    /** Same as the constructor with {@link System#nanoTime()} as the ticker. */
    public static EtcdClusterStore connect(List<String> endpoints, KeyLayout layout, String memberName,
                                           long ttlSeconds, Duration opTimeout) {
        return new EtcdClusterStore(endpoints, layout, memberName, ttlSeconds, opTimeout, System::nanoTime);
    }

    /** Same as the constructor with {@link System#nanoTime()} as the ticker. */
    public static EtcdClusterStore connect(EtcdAccess access, KeyLayout layout, String memberName,
                                           long ttlSeconds, Duration opTimeout) {
        return new EtcdClusterStore(access, layout, memberName, ttlSeconds, opTimeout, System::nanoTime);
    }

    /**
     * One read of the leader key, for the agent's start: throws {@link EtcdAccessDeniedException}
     * when etcd refuses this client's user, password or permissions (a configuration error that
     * retrying does not fix), {@link dev.baton.leader.StoreUnavailableException} when etcd cannot be
     * reached (the HA loop keeps trying then).
     */
    public void verifyAccess() {
        kv.get(leaderKey, "read " + layout.leader());
    }

    /**
     * Builds a new jetcd client before the next call, re-reading the TLS files: how the agent picks
     * up rotated certificates on reload. Leases live on the server; the watch follows the new client.
     */
    @Override
    public void reconnect() {
        connection.reconnect();
    }

    @Override
    public String memberName() {
        return memberName;
    }

    /** The key layout this store writes. */
    public KeyLayout layout() {
        return layout;
    }

    /** The endpoints as {@code scheme://host:port}, comma separated (used in error messages). */
    public String endpoints() {
        return connection.endpoints();
    }

    /**
     * From the watch-fed {@link WatchCache} while the watch is healthy and the cache was seeded
     * less than half a TTL ago ({@link #resyncNanos}); otherwise one prefix read, which seeds it.
     */
    @Override
    public ClusterSnapshot read() {
        if (watch.feedsCache()) {
            long version = cache.version();
            Optional<WatchCache.View> view = cache.snapshot(connection.ticker().getAsLong());
            if (view.isPresent()) {
                synchronized (memoLock) {
                    if (memoVersion != version || memo == null) {
                        memo = SnapshotDecoder.decode(layout, view.get().revision(), view.get().kvs());
                        memoVersion = version;
                    }
                    return memo;
                }
            }
        }
        GetResponse response = kv.range(prefixKey, "read " + layout.prefix());
        long revision = response.getHeader().getRevision();
        watch.noteKnownRevision(revision);
        List<RawKeyValue> kvs = response.getKvs().stream().map(EtcdClusterStore::raw).toList();
        cache.seed(revision, kvs, connection.ticker().getAsLong());
        return SnapshotDecoder.decode(layout, revision, kvs);
    }

    /**
     * How long a seed of the cache is trusted against a watch that stalls without an error: half
     * the lease TTL, at least a second (docs/architecture.md, "Reads").
     */
    static long resyncNanos(long ttlSeconds) {
        return Math.max(1_000_000_000L, ttlSeconds * 1_000_000_000L / 2);
    }

    @Override
    public LeaseRenewal renewLease() {
        return lease.renew();
    }

    @Override
    public Optional<LeaseRenewal> retime(long ttlSeconds, Duration requestTimeout) {
        if (requestTimeout.toMillis() < 10) {
            throw new IllegalArgumentException("requestTimeout must be at least 10 ms, got " + requestTimeout);
        }
        connection.setOpTimeout(requestTimeout);
        cache.setResyncNanos(resyncNanos(ttlSeconds));
        return lease.retime(ttlSeconds, this::moveKeys);
    }

    /**
     * Moves the leader key (if it holds this member's name) and the member key from lease
     * {@code from} to lease {@code to}: each by a transaction on the mod revision just read, so a
     * key that changed in between (taken by another member) is left alone.
     */
    private void moveKeys(Client c, long from, long to, Deadline d) {
        KeyValue leader = kv.get(c, d, leaderKey, "read leader key");
        if (leader != null && leader.getLease() == from && memberNameBytes.equals(leader.getValue())) {
            kv.txn(c, d, "move leader key to the new lease",
                    new Cmp[] {modRevisionIs(leaderKey, leader.getModRevision())},
                    putWithLeaseOp(leaderKey, memberNameBytes, to));
        }
        KeyValue member = kv.get(c, d, memberKey, "read member key");
        if (member != null && member.getLease() == from) {
            kv.txn(c, d, "move member key to the new lease",
                    new Cmp[] {modRevisionIs(memberKey, member.getModRevision())},
                    putWithLeaseOp(memberKey, member.getValue(), to));
        }
    }

    @Override
    public long leaseId() {
        return lease.id();
    }

    @Override
    public boolean tryAcquireLeader() {
        return lease.withLease((c, id, d) -> kv.txn(c, d, "acquire leader key",
                new Cmp[] {absent(leaderKey)},
                putWithLeaseOp(leaderKey, memberNameBytes, id)));
    }

    @Override
    public boolean rebindLeader(long expectedModRevision) {
        return lease.withLease((c, id, d) -> kv.txn(c, d, "rebind leader key",
                new Cmp[] {valueIs(leaderKey, memberNameBytes), modRevisionIs(leaderKey, expectedModRevision)},
                putWithLeaseOp(leaderKey, memberNameBytes, id)));
    }

    @Override
    public boolean repairLeader(long expectedModRevision) {
        // etcd cannot compare a key's lease; the revision pins the key the caller saw on our lease.
        return lease.withLease((c, id, d) -> kv.txn(c, d, "repair leader key",
                new Cmp[] {modRevisionIs(leaderKey, expectedModRevision)},
                putWithLeaseOp(leaderKey, memberNameBytes, id)));
    }

    @Override
    public boolean confirmLeader() {
        return onOurLeaderKey("confirm leader key", (c, d, key) -> true);
    }

    @Override
    public boolean releaseLeader() {
        // Same mod revision means same value and same lease as just read.
        return onOurLeaderKey("read leader key", (c, d, key) -> kv.txn(c, d, "release leader key",
                new Cmp[] {modRevisionIs(leaderKey, key.getModRevision())}, deleteOp(leaderKey)));
    }

    /** What to do, within the same call, with the leader key once it is known to be ours. */
    @FunctionalInterface
    private interface OnOurKey {
        boolean run(Client c, Deadline d, KeyValue leader);
    }

    /**
     * Reads the leader key and runs {@code then} if it holds this member's name on this store's
     * current lease; false otherwise, and without any request while there is no lease.
     */
    private boolean onOurLeaderKey(String what, OnOurKey then) {
        long id = lease.id();
        if (id == 0) {
            return false;
        }
        Deadline d = connection.deadline();
        Client c = connection.client();
        KeyValue key = kv.get(c, d, leaderKey, what);
        if (key == null || key.getLease() != id || !memberNameBytes.equals(key.getValue())) {
            return false;
        }
        return then.run(c, d, key);
    }

    @Override
    public void publishMember(String json) {
        ByteSequence value = bytes(Objects.requireNonNull(json, "json"));
        lease.withLease((c, id, d) -> {
            kv.put(c, d, memberKey, value, id, "put " + layout.member(memberName));
            return null;
        });
    }

    @Override
    public void deleteMember() {
        kv.delete(memberKey, DeleteOption.DEFAULT, "delete member key");
    }

    @Override
    public boolean createInitialize(String value) {
        ByteSequence key = bytes(layout.initialize());
        return kv.txn("create initialize key", new Cmp[] {absent(key)}, putOp(key, value(value)));
    }

    @Override
    public boolean replaceInitialize(String expected, String value) {
        ByteSequence key = bytes(layout.initialize());
        return kv.txn("replace initialize key", new Cmp[] {valueIs(key, expected(expected))}, putOp(key, value(value)));
    }

    @Override
    public boolean deleteInitialize(String expected) {
        ByteSequence key = bytes(layout.initialize());
        return kv.txn("delete initialize key", new Cmp[] {valueIs(key, expected(expected))}, deleteOp(key));
    }

    @Override
    public boolean casConfig(String json, long expectedModRevision) {
        return casPut(layout.config(), json, expectedModRevision, "update config key");
    }

    @Override
    public boolean casFailover(String json, long expectedModRevision) {
        return casPut(layout.failover(), json, expectedModRevision, "update failover key");
    }

    @Override
    public boolean deleteFailover(long expectedModRevision) {
        if (expectedModRevision == 0) {
            kv.delete(bytes(layout.failover()), DeleteOption.DEFAULT, "delete failover key");
            return true;
        }
        return deleteIfUnchanged(layout.failover(), expectedModRevision, "delete failover key");
    }

    @Override
    public boolean casSync(String json, long expectedModRevision) {
        return casPut(layout.sync(), json, expectedModRevision, "update sync key");
    }

    @Override
    public boolean deleteSync(long expectedModRevision) {
        return deleteIfUnchanged(layout.sync(), expectedModRevision, "delete sync key");
    }

    @Override
    public boolean casBackup(String json, long expectedModRevision) {
        return casPut(layout.backup(), json, expectedModRevision, "update backup key");
    }

    @Override
    public void putHistory(String json) {
        kv.put(bytes(layout.history()), json, "put history key");
    }

    @Override
    public void putStatus(String json) {
        kv.put(bytes(layout.status()), json, "put status key");
    }

    @Override
    public void putFailsafe(String json) {
        kv.put(bytes(layout.failsafe()), json, "put failsafe key");
    }

    @Override
    public void deleteCluster() {
        kv.delete(prefixKey, DeleteOption.builder().isPrefix(true).build(), "delete cluster " + layout.prefix());
    }

    @Override
    public Optional<String> get(String relativeKey) {
        Objects.requireNonNull(relativeKey, "relativeKey");
        String key = layout.key(relativeKey);
        KeyValue found = kv.get(bytes(key), "read " + key);
        return found == null ? Optional.empty() : Optional.of(found.getValue().toString(UTF_8));
    }

    @Override
    public boolean awaitChange(Duration timeout) {
        return watch.awaitChange(timeout);
    }

    @Override
    public void wakeUp() {
        watch.wakeUp();
    }

    /**
     * A transaction with a compare on the leader key and no operation (it writes nothing), on the
     * client directly: not through {@link EtcdKv}, whose bookkeeping of this store's own writes it
     * must not touch. A cold first transaction took 20-30 ms more than a warm one (5 ms).
     */
    @Override
    public void warmUp() {
        try {
            Client c = connection.client();
            c.getKVClient().txn().If(absent(leaderKey)).commit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.fine("etcd warm-up: " + e);
        }
    }

    @Override
    public void close() {
        if (!connection.markClosed()) {
            return;
        }
        connection.release(watch.detach());
        watch.wakeUp();
    }

    @Override
    public String toString() {
        return "EtcdClusterStore[" + connection.endpoints() + " " + layout.prefix() + " member=" + memberName + "]";
    }

    /** Compare-and-set on the mod revision; 0 means "create only if absent". */
    private boolean casPut(String key, String value, long expectedModRevision, String what) {
        if (expectedModRevision < 0) {
            throw new IllegalArgumentException("expected mod revision must be >= 0, got " + expectedModRevision);
        }
        ByteSequence k = bytes(key);
        Cmp cmp = expectedModRevision == 0 ? absent(k) : modRevisionIs(k, expectedModRevision);
        return kv.txn(what, new Cmp[] {cmp}, putOp(k, value(value)));
    }

    /** Deletes the key if its mod revision still matches. */
    private boolean deleteIfUnchanged(String key, long expectedModRevision, String what) {
        ByteSequence k = bytes(key);
        return kv.txn(what, new Cmp[] {modRevisionIs(k, expectedModRevision)}, deleteOp(k));
    }

    private static ByteSequence value(String value) {
        return bytes(Objects.requireNonNull(value, "value"));
    }

    private static ByteSequence expected(String expected) {
        return bytes(Objects.requireNonNull(expected, "expected"));
    }

    static RawKeyValue raw(KeyValue kv) {
        return new RawKeyValue(kv.getKey().toString(UTF_8), kv.getValue().toString(UTF_8),
                kv.getCreateRevision(), kv.getModRevision(), kv.getLease());
    }
}
