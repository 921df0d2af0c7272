package dev.baton.leader.etcd;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.MemberKey;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.VersionedValue;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * {@link ClusterStore} on etcd v3 through jetcd, with Patroni's key layout and semantics.
 *
 * <h2>Timeouts and outages</h2>
 * Every public call shares one deadline of {@code opTimeout}; the caller waits on the jetcd
 * future at most that long and the future is cancelled afterwards. Each gRPC attempt also
 * carries {@code opTimeout} as its deadline ({@link DeadlineInterceptor}) and jetcd's own
 * retries are capped by {@code retryMaxDuration(opTimeout)}, so no abandoned request lingers.
 * Timeouts, connection failures and etcd errors become {@link StoreUnavailableException};
 * a compare that fails returns {@code false}.
 *
 * <p>gRPC backs off reconnecting to an endpoint it could not reach, up to two minutes, and jetcd
 * offers no way to reset that. So after a connectivity failure the next call (at most once per
 * {@link #MIN_REBUILD_INTERVAL_NANOS}) replaces the jetcd client with a fresh one, which connects
 * at once. Leases live on the server, so this is invisible to callers.
 *
 * <h2>Lease</h2>
 * One lease per store, granted lazily by {@link #renewLease()}, {@link #tryAcquireLeader()} or
 * {@link #publishMember(String)}, and renewed only by {@link #renewLease()} (a single
 * keep-alive, never a background stream). If a lease has to be granted outside
 * {@link #renewLease()}, the next {@link #renewLease()} reports {@code newLease=true} so the
 * caller learns that keys bound to the old lease are gone.
 *
 * <p>jetcd 0.8.4 has no lease compare target, so "the leader key is ours" is checked by reading
 * the key (value and lease) and, for deletion, by a transaction on the mod revision that was
 * read: a key cannot change its lease without changing its mod revision.
 *
 * <h2>Watch</h2>
 * A prefix watch, started by the first {@link #awaitChange(Duration)}, from the revision after the
 * last {@link #read()} so that nothing between a read and the wait is missed. Changes made by this
 * store's own successful writes are not reported as changes (the leader writes {@code status}
 * every cycle and would otherwise wake itself); deletions by lease expiry always are.
 */
public final class EtcdClusterStore implements ClusterStore {

    private static final Logger LOG = Logger.getLogger(EtcdClusterStore.class.getName());

    /** A broken client is replaced at most this often. */
    static final long MIN_REBUILD_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** A failed or halted watch is re-created at most this often. */
    private static final long WATCH_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** How often a waiting {@link #awaitChange} checks the watch is still alive. */
    private static final long WATCH_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    private static final int MAX_OWN_REVISIONS = 1024;
    private static final long CLOSE_WAIT_MILLIS = 5000;

    private final List<URI> endpointUris;
    private final String endpointsText;
    private final KeyLayout layout;
    private final String memberName;
    private final long ttlSeconds;
    private final Duration opTimeout;
    private final long opTimeoutNanos;
    private final LongSupplier nanoTicker;

    private final ByteSequence prefixKey;
    private final ByteSequence leaderKey;
    private final ByteSequence memberKey;
    private final ByteSequence memberNameBytes;

    // --- client ---
    private final Object clientLock = new Object();
    private Client client;                  // guarded by clientLock
    private long clientBuiltAtNanos;        // guarded by clientLock
    private boolean clientBroken;           // guarded by clientLock
    private volatile boolean closed;

    // --- lease ---
    private final Object leaseLock = new Object();
    private volatile long leaseId;
    private boolean unreportedNewLease;     // guarded by leaseLock

    // --- watch and change signalling ---
    private final Object watchLock = new Object();
    private Watch.Watcher watcher;          // guarded by watchLock
    private Client watcherClient;           // guarded by watchLock
    private long watchGeneration;           // guarded by watchLock
    private long watchRetryAtNanos;         // guarded by watchLock

    private final ReentrantLock changeLock = new ReentrantLock();
    private final Condition changed = changeLock.newCondition();
    private final TreeSet<Long> pendingRevisions = new TreeSet<>();   // guarded by changeLock
    private final TreeSet<Long> ownRevisions = new TreeSet<>();       // guarded by changeLock
    private boolean wakeRequested;          // guarded by changeLock
    private boolean watchHealthy;           // guarded by changeLock
    private long watchGenerationSeen = -1;  // guarded by changeLock: generation the flags refer to
    private long lastKnownRevision;         // guarded by changeLock: seen by read() or the watch

    /**
     * Builds the store and its jetcd client; performs no I/O.
     *
     * @param endpoints  etcd client endpoints as {@code host:port} ({@code http://host:port} is
     *                   accepted too; TLS is not supported)
     * @param layout     the key layout of the cluster
     * @param memberName this member's name (the value of the leader key)
     * @param ttlSeconds the lease TTL to ask for (etcd may raise it to its minimum)
     * @param opTimeout  the bound of every call
     * @param nanoTicker monotonic clock used for {@link LeaseRenewal#sentAtNanos()}
     */
    public EtcdClusterStore(List<String> endpoints, KeyLayout layout, String memberName, long ttlSeconds,
                            Duration opTimeout, LongSupplier nanoTicker) {
        Objects.requireNonNull(endpoints, "endpoints");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.memberName = Objects.requireNonNull(memberName, "memberName");
        this.opTimeout = Objects.requireNonNull(opTimeout, "opTimeout");
        this.nanoTicker = Objects.requireNonNull(nanoTicker, "nanoTicker");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is required");
        }
        if (memberName.isBlank() || memberName.contains("/")) {
            throw new IllegalArgumentException("member name must be non-empty and contain no '/': '" + memberName + "'");
        }
        if (ttlSeconds < 1) {
            throw new IllegalArgumentException("ttlSeconds must be at least 1, got " + ttlSeconds);
        }
        if (opTimeout.toMillis() < 10) {
            throw new IllegalArgumentException("opTimeout must be at least 10 ms, got " + opTimeout);
        }
        this.ttlSeconds = ttlSeconds;
        this.opTimeoutNanos = opTimeout.toNanos();
        List<URI> uris = new ArrayList<>();
        List<String> hostPorts = new ArrayList<>();
        for (String endpoint : endpoints) {
            String hostPort = parseEndpoint(endpoint);
            hostPorts.add(hostPort);
            uris.add(URI.create("http://" + hostPort));
        }
        this.endpointUris = List.copyOf(uris);
        this.endpointsText = String.join(",", hostPorts);
        this.prefixKey = bytes(layout.prefix());
        this.leaderKey = bytes(layout.leader());
        this.memberKey = bytes(layout.member(memberName));
        this.memberNameBytes = bytes(memberName);
        synchronized (clientLock) {
            this.client = buildClient();
            this.clientBuiltAtNanos = System.nanoTime();
        }
    }

    /** Same as the constructor with {@link System#nanoTime()} as the ticker. */
    public static EtcdClusterStore connect(List<String> endpoints, KeyLayout layout, String memberName,
                                           long ttlSeconds, Duration opTimeout) {
        return new EtcdClusterStore(endpoints, layout, memberName, ttlSeconds, opTimeout, System::nanoTime);
    }

    // ------------------------------------------------------------------------------------------
    // ClusterStore
    // ------------------------------------------------------------------------------------------

    @Override
    public String memberName() {
        return memberName;
    }

    /** The key layout this store writes. */
    public KeyLayout layout() {
        return layout;
    }

    /** The endpoints as given, comma separated (used in error messages). */
    public String endpoints() {
        return endpointsText;
    }

    @Override
    public ClusterSnapshot read() {
        Deadline d = deadline();
        Client c = client();
        GetResponse response = await(c, () -> c.getKVClient().get(prefixKey, GetOption.builder().isPrefix(true).build()),
                d, "read " + layout.prefix());
        long revision = response.getHeader().getRevision();
        noteKnownRevision(revision);
        return toSnapshot(revision, response.getKvs());
    }

    @Override
    public LeaseRenewal renewLease() {
        synchronized (leaseLock) {
            Deadline d = deadline();
            Client c = client();
            long id = leaseId;
            if (id != 0) {
                long sentAt = nanoTicker.getAsLong();
                try {
                    LeaseKeepAliveResponse r = await(c, () -> c.getLeaseClient().keepAliveOnce(id), d, "lease keep-alive");
                    boolean fresh = unreportedNewLease;
                    unreportedNewLease = false;
                    return new LeaseRenewal(id, r.getTTL(), sentAt, fresh);
                } catch (StoreUnavailableException e) {
                    if (!isLeaseNotFound(e.getCause())) {
                        throw e;
                    }
                    LOG.warning(() -> "etcd lease " + Long.toHexString(id) + " of " + memberName
                            + " has expired; granting a new one");
                }
            }
            long sentAt = nanoTicker.getAsLong();
            LeaseGrantResponse granted = grant(c, d);
            unreportedNewLease = false;
            return new LeaseRenewal(granted.getID(), granted.getTTL(), sentAt, true);
        }
    }

    @Override
    public long leaseId() {
        return leaseId;
    }

    @Override
    public boolean tryAcquireLeader() {
        synchronized (leaseLock) {
            Deadline d = deadline();
            Client c = client();
            long id = ensureLease(c, d);
            try {
                return createLeaderKey(c, id, d);
            } catch (StoreUnavailableException e) {
                if (!isLeaseNotFound(e.getCause())) {
                    throw e;
                }
                id = grant(c, d).getID();
                unreportedNewLease = true;
                return createLeaderKey(c, id, d);
            }
        }
    }

    @Override
    public boolean rebindLeader(long expectedModRevision) {
        synchronized (leaseLock) {
            Deadline d = deadline();
            Client c = client();
            long id = ensureLease(c, d);
            try {
                return rebindLeaderKey(c, id, expectedModRevision, d);
            } catch (StoreUnavailableException e) {
                if (!isLeaseNotFound(e.getCause())) {
                    throw e;
                }
                id = grant(c, d).getID();
                unreportedNewLease = true;
                return rebindLeaderKey(c, id, expectedModRevision, d);
            }
        }
    }

    private boolean rebindLeaderKey(Client c, long id, long expectedModRevision, Deadline d) {
        return txn(c, d, "rebind leader key",
                new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.value(memberNameBytes)),
                        new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision))},
                Op.put(leaderKey, memberNameBytes, PutOption.builder().withLeaseId(id).build()));
    }

    @Override
    public boolean confirmLeader() {
        long id = leaseId;
        if (id == 0) {
            return false;
        }
        Deadline d = deadline();
        Client c = client();
        KeyValue kv = getOne(c, leaderKey, d, "confirm leader key");
        return kv != null && kv.getLease() == id && memberNameBytes.equals(kv.getValue());
    }

    @Override
    public boolean releaseLeader() {
        long id = leaseId;
        if (id == 0) {
            return false;
        }
        Deadline d = deadline();
        Client c = client();
        KeyValue kv = getOne(c, leaderKey, d, "read leader key");
        if (kv == null || kv.getLease() != id || !memberNameBytes.equals(kv.getValue())) {
            return false;
        }
        // Same mod revision means same value and same lease as just read.
        return txn(c, d, "release leader key",
                new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision()))},
                Op.delete(leaderKey, DeleteOption.DEFAULT));
    }

    @Override
    public void publishMember(String json) {
        Objects.requireNonNull(json, "json");
        synchronized (leaseLock) {
            Deadline d = deadline();
            Client c = client();
            long id = ensureLease(c, d);
            try {
                putWithLease(c, memberKey, json, id, d);
            } catch (StoreUnavailableException e) {
                if (!isLeaseNotFound(e.getCause())) {
                    throw e;
                }
                id = grant(c, d).getID();
                unreportedNewLease = true;
                putWithLease(c, memberKey, json, id, d);
            }
        }
    }

    @Override
    public void deleteMember() {
        delete(memberKey, DeleteOption.DEFAULT, "delete member key");
    }

    @Override
    public boolean createInitialize(String value) {
        ByteSequence key = bytes(layout.initialize());
        return txn("create initialize key", new Cmp[] {absent(key)}, put(key, value));
    }

    @Override
    public boolean replaceInitialize(String expected, String value) {
        ByteSequence key = bytes(layout.initialize());
        return txn("replace initialize key", new Cmp[] {valueIs(key, expected)}, put(key, value));
    }

    @Override
    public boolean deleteInitialize(String expected) {
        ByteSequence key = bytes(layout.initialize());
        return txn("delete initialize key", new Cmp[] {valueIs(key, expected)}, Op.delete(key, DeleteOption.DEFAULT));
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
        ByteSequence key = bytes(layout.failover());
        if (expectedModRevision == 0) {
            delete(key, DeleteOption.DEFAULT, "delete failover key");
            return true;
        }
        return txn("delete failover key",
                new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision))},
                Op.delete(key, DeleteOption.DEFAULT));
    }

    @Override
    public boolean casSync(String json, long expectedModRevision) {
        return casPut(layout.sync(), json, expectedModRevision, "update sync key");
    }

    @Override
    public boolean deleteSync(long expectedModRevision) {
        ByteSequence key = bytes(layout.sync());
        return txn("delete sync key",
                new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision))},
                Op.delete(key, DeleteOption.DEFAULT));
    }

    @Override
    public void putHistory(String json) {
        plainPut(bytes(layout.history()), json, "put history key");
    }

    @Override
    public void putStatus(String json) {
        plainPut(bytes(layout.status()), json, "put status key");
    }

    @Override
    public void deleteCluster() {
        delete(prefixKey, DeleteOption.builder().isPrefix(true).build(), "delete cluster " + layout.prefix());
    }

    @Override
    public Optional<String> get(String relativeKey) {
        Objects.requireNonNull(relativeKey, "relativeKey");
        Deadline d = deadline();
        Client c = client();
        KeyValue kv = getOne(c, bytes(layout.key(relativeKey)), d, "read " + layout.key(relativeKey));
        return kv == null ? Optional.empty() : Optional.of(string(kv.getValue()));
    }

    @Override
    public boolean awaitChange(Duration timeout) {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        ensureWatch();
        while (true) {
            long checkAt;
            changeLock.lock();
            try {
                checkAt = System.nanoTime() + WATCH_CHECK_NANOS;
                while (true) {
                    if (takeChange()) {
                        return true;
                    }
                    long now = System.nanoTime();
                    long remaining = deadline - now;
                    if (remaining <= 0) {
                        return false;
                    }
                    long untilCheck = checkAt - now;
                    if (untilCheck <= 0) {
                        break;
                    }
                    try {
                        changed.awaitNanos(Math.min(remaining, untilCheck));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return takeChange();
                    }
                }
            } finally {
                changeLock.unlock();
            }
            ensureWatch();
        }
    }

    @Override
    public void wakeUp() {
        changeLock.lock();
        try {
            wakeRequested = true;
            changed.signalAll();
        } finally {
            changeLock.unlock();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Watch.Watcher w;
        synchronized (watchLock) {
            w = watcher;
            watcher = null;
            watcherClient = null;
            watchGeneration++;
        }
        Client c;
        synchronized (clientLock) {
            c = client;
            client = null;
        }
        Thread closer = closeInBackground(w, c);
        try {
            closer.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warning(() -> "closing the etcd client for " + endpointsText + " did not finish within "
                    + CLOSE_WAIT_MILLIS + " ms; leaving it to a background thread");
        }
        wakeUp();
    }

    @Override
    public String toString() {
        return "EtcdClusterStore[" + endpointsText + " " + layout.prefix() + " member=" + memberName + "]";
    }

    // ------------------------------------------------------------------------------------------
    // Leader, lease and write helpers
    // ------------------------------------------------------------------------------------------

    private boolean createLeaderKey(Client c, long id, Deadline d) {
        return txn(c, d, "acquire leader key", new Cmp[] {absent(leaderKey)},
                Op.put(leaderKey, memberNameBytes, PutOption.builder().withLeaseId(id).build()));
    }

    /** The current lease, granting one if there is none. Caller holds leaseLock. */
    private long ensureLease(Client c, Deadline d) {
        long id = leaseId;
        if (id != 0) {
            return id;
        }
        id = grant(c, d).getID();
        unreportedNewLease = true;
        return id;
    }

    /** Grants a new lease and makes it current. Caller holds leaseLock. */
    private LeaseGrantResponse grant(Client c, Deadline d) {
        LeaseGrantResponse r = await(c, () -> c.getLeaseClient().grant(ttlSeconds), d, "lease grant");
        long previous = leaseId;
        leaseId = r.getID();
        LOG.info(() -> "granted etcd lease " + Long.toHexString(r.getID()) + " (ttl " + r.getTTL() + " s) to "
                + memberName + (previous != 0 ? ", replacing " + Long.toHexString(previous) : ""));
        return r;
    }

    private void putWithLease(Client c, ByteSequence key, String value, long id, Deadline d) {
        PutResponse r = await(c, () -> c.getKVClient().put(key, bytes(value), PutOption.builder().withLeaseId(id).build()),
                d, "put " + string(key));
        noteOwnRevision(r.getHeader().getRevision());
    }

    private void plainPut(ByteSequence key, String value, String what) {
        Objects.requireNonNull(value, "value");
        Deadline d = deadline();
        Client c = client();
        PutResponse r = await(c, () -> c.getKVClient().put(key, bytes(value)), d, what);
        noteOwnRevision(r.getHeader().getRevision());
    }

    private void delete(ByteSequence key, DeleteOption option, String what) {
        Deadline d = deadline();
        Client c = client();
        DeleteResponse r = await(c, () -> c.getKVClient().delete(key, option), d, what);
        if (r.getDeleted() > 0) {
            noteOwnRevision(r.getHeader().getRevision());
        }
    }

    private boolean casPut(String key, String value, long expectedModRevision, String what) {
        if (expectedModRevision < 0) {
            throw new IllegalArgumentException("expected mod revision must be >= 0, got " + expectedModRevision);
        }
        ByteSequence k = bytes(key);
        Cmp cmp = expectedModRevision == 0
                ? absent(k)
                : new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision));
        return txn(what, new Cmp[] {cmp}, put(k, value));
    }

    private boolean txn(String what, Cmp[] cmps, Op... then) {
        Deadline d = deadline();
        return txn(client(), d, what, cmps, then);
    }

    /** Runs If(cmps) Then(ops) and returns whether the compare held. */
    private boolean txn(Client c, Deadline d, String what, Cmp[] cmps, Op... then) {
        TxnResponse r = await(c, () -> c.getKVClient().txn().If(cmps).Then(then).commit(), d, what);
        if (r.isSucceeded()) {
            noteOwnRevision(r.getHeader().getRevision());
        }
        return r.isSucceeded();
    }

    private KeyValue getOne(Client c, ByteSequence key, Deadline d, String what) {
        GetResponse r = await(c, () -> c.getKVClient().get(key), d, what);
        return r.getKvs().isEmpty() ? null : r.getKvs().get(0);
    }

    private static Cmp absent(ByteSequence key) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }

    private static Cmp valueIs(ByteSequence key, String expected) {
        // etcd fails a value compare on a missing key, so this also requires the key to exist.
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(Objects.requireNonNull(expected, "expected"))));
    }

    private static Op put(ByteSequence key, String value) {
        return Op.put(key, bytes(Objects.requireNonNull(value, "value")), PutOption.DEFAULT);
    }

    // ------------------------------------------------------------------------------------------
    // Snapshot
    // ------------------------------------------------------------------------------------------

    private ClusterSnapshot toSnapshot(long revision, List<KeyValue> kvs) {
        String prefix = layout.prefix();
        VersionedValue initialize = null;
        VersionedValue config = null;
        VersionedValue failover = null;
        VersionedValue sync = null;
        VersionedValue history = null;
        VersionedValue status = null;
        LeaderKey leader = null;
        Map<String, MemberKey> members = new TreeMap<>();
        for (KeyValue kv : kvs) {
            String key = string(kv.getKey());
            if (!key.startsWith(prefix)) {
                continue;
            }
            String relative = key.substring(prefix.length());
            String value = string(kv.getValue());
            if (relative.startsWith("members/")) {
                String name = relative.substring("members/".length());
                if (!name.isEmpty()) {
                    members.put(name, new MemberKey(name, value, kv.getLease(), kv.getModRevision()));
                }
                continue;
            }
            VersionedValue vv = new VersionedValue(value, kv.getCreateRevision(), kv.getModRevision(), kv.getLease());
            switch (relative) {
                case "leader" -> leader = new LeaderKey(value, kv.getLease(), kv.getCreateRevision(), kv.getModRevision());
                case "initialize" -> initialize = vv;
                case "config" -> config = vv;
                case "failover" -> failover = vv;
                case "sync" -> sync = vv;
                case "history" -> history = vv;
                case "status" -> status = vv;
                default -> { /* failsafe, optime/leader and other keys are not part of the snapshot */ }
            }
        }
        return new ClusterSnapshot(revision, initialize, config, leader, members, failover, sync, history, status);
    }

    // ------------------------------------------------------------------------------------------
    // Watch and change signalling
    // ------------------------------------------------------------------------------------------

    /** Starts the watch, or re-creates it on the current client if it failed or the client was replaced. */
    private void ensureWatch() {
        if (closed) {
            return;
        }
        Client c;
        synchronized (clientLock) {
            c = client;
        }
        if (c == null) {
            return;
        }
        synchronized (watchLock) {
            if (closed) {
                return;
            }
            boolean healthy;
            long startRevision;
            changeLock.lock();
            try {
                healthy = watchHealthy && watchGenerationSeen == watchGeneration;
                startRevision = lastKnownRevision > 0 ? lastKnownRevision + 1 : 0;
            } finally {
                changeLock.unlock();
            }
            if (watcher != null && watcherClient == c && healthy) {
                return;
            }
            long now = System.nanoTime();
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
                closeQuietly(old);
            }
            watchRetryAtNanos = now + WATCH_RETRY_NANOS;
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

    /**
     * Which changes end an agent's wait early: the leader, initialize, config, failover and sync
     * keys, the ones a decision depends on at once. Member keys and the leader's status change
     * every cycle under load; waking on them would make leader and replicas wake each other in a
     * loop, and they are read at the next regular cycle anyway.
     */
    private boolean wakesLoop(String key) {
        return !key.startsWith(layout.membersPrefix()) && !key.equals(layout.status());
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
                for (WatchEvent event : response.getEvents()) {
                    long revision = event.getKeyValue().getModRevision();
                    lastKnownRevision = Math.max(lastKnownRevision, revision);
                    if (wakesLoop(string(event.getKeyValue().getKey()))) {
                        pendingRevisions.add(revision);
                        any = true;
                    }
                }
                if (any) {
                    changed.signalAll();
                }
            } finally {
                changeLock.unlock();
            }
        }

        @Override
        public void onError(Throwable error) {
            Throwable cause = unwrap(error);
            boolean compacted = cause instanceof CompactedException;
            LOG.log(Level.FINE, "etcd watch on " + layout.prefix() + " failed", cause);
            // jetcd re-subscribes by itself after transient errors; after a compaction it gives up.
            if (compacted) {
                markWatchFailed(generation, true);
            }
        }

        @Override
        public void onCompleted() {
            // jetcd closed the watcher for good (halting error, compaction or client closed).
            markWatchFailed(generation, false);
        }
    }

    private void markWatchFailed(long generation, boolean historyLost) {
        changeLock.lock();
        try {
            if (generation != watchGenerationSeen) {
                return;
            }
            watchHealthy = false;
            if (historyLost) {
                // Events were compacted away: restart from "now" and report a change so the caller re-reads.
                lastKnownRevision = 0;
                wakeRequested = true;
                changed.signalAll();
            }
        } finally {
            changeLock.unlock();
        }
    }

    /** Consumes a pending change if there is one. Caller holds changeLock. */
    private boolean takeChange() {
        if (!pendingRevisions.isEmpty()) {
            pendingRevisions.removeAll(ownRevisions);
        }
        if (wakeRequested || !pendingRevisions.isEmpty()) {
            wakeRequested = false;
            pendingRevisions.clear();
            return true;
        }
        return false;
    }

    private void noteOwnRevision(long revision) {
        changeLock.lock();
        try {
            ownRevisions.add(revision);
            while (ownRevisions.size() > MAX_OWN_REVISIONS) {
                ownRevisions.pollFirst();
            }
            if (!pendingRevisions.isEmpty()) {
                changed.signalAll();
            }
        } finally {
            changeLock.unlock();
        }
    }

    private void noteKnownRevision(long revision) {
        changeLock.lock();
        try {
            if (revision > lastKnownRevision) {
                lastKnownRevision = revision;
            }
        } finally {
            changeLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Client lifecycle and error mapping
    // ------------------------------------------------------------------------------------------

    private Client buildClient() {
        // Failsafe (jetcd's retry library) insists on retryDelay < retryMaxDelay and < retryMaxDuration.
        long retryDelayMillis = Math.max(1, Math.min(100, opTimeout.toMillis() / 4));
        return Client.builder()
                .endpoints(endpointUris)
                // Fail fast while disconnected instead of queueing until the deadline.
                .waitForReady(false)
                .connectTimeout(opTimeout)
                .retryMaxAttempts(2)
                .retryDelay(retryDelayMillis)
                .retryMaxDelay(retryDelayMillis * 5)
                .retryChronoUnit(java.time.temporal.ChronoUnit.MILLIS)
                .retryMaxDuration(opTimeout)
                // etcd answers pings without an open stream with GOAWAY "too_many_pings".
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5))
                .keepaliveWithoutCalls(false)
                .interceptor(new DeadlineInterceptor(opTimeout))
                .build();
    }

    /** The client to use for the next call, replacing it first if it was marked broken. */
    private Client client() {
        Client old = null;
        Client current;
        synchronized (clientLock) {
            if (closed || client == null) {
                throw new StoreUnavailableException("etcd store for " + endpointsText + " is closed");
            }
            if (clientBroken && System.nanoTime() - clientBuiltAtNanos >= MIN_REBUILD_INTERVAL_NANOS) {
                old = client;
                client = buildClient();
                clientBuiltAtNanos = System.nanoTime();
                clientBroken = false;
                LOG.fine(() -> "reconnecting to etcd " + endpointsText + " with a new client");
            }
            current = client;
        }
        if (old != null) {
            closeInBackground(null, old);
        }
        return current;
    }

    private void markBroken(Client c) {
        synchronized (clientLock) {
            if (c == client) {
                clientBroken = true;
            }
        }
    }

    /** Starts one request and waits for it until the call's deadline, mapping every failure. */
    private <T> T await(Client c, Supplier<CompletableFuture<T>> request, Deadline d, String what) {
        CompletableFuture<T> future;
        try {
            future = request.get();
        } catch (RuntimeException e) {
            throw failure(c, what, unwrap(e));
        }
        try {
            return future.get(d.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            markBroken(c);
            throw new StoreUnavailableException("etcd " + endpointsText + ": " + what + " got no answer within "
                    + opTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("etcd " + endpointsText + ": interrupted during " + what, e);
        } catch (ExecutionException | CompletionException | CancellationException e) {
            throw failure(c, what, unwrap(e));
        } catch (RuntimeException e) {
            throw failure(c, what, unwrap(e));
        }
    }

    private StoreUnavailableException failure(Client c, String what, Throwable cause) {
        if (!isServerVerdict(cause)) {
            markBroken(c);
        }
        return new StoreUnavailableException("etcd " + endpointsText + ": " + what + " failed: " + describe(cause), cause);
    }

    /** True for errors that etcd itself answered with (the connection is fine). */
    private static boolean isServerVerdict(Throwable t) {
        Status.Code code = statusCode(t);
        return switch (code) {
            case NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT, OUT_OF_RANGE,
                 PERMISSION_DENIED, UNAUTHENTICATED, RESOURCE_EXHAUSTED -> true;
            default -> false;
        };
    }

    static boolean isLeaseNotFound(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
            return true;
        }
        if (statusCode(cause) == Status.Code.NOT_FOUND) {
            return true;
        }
        String message = cause == null ? null : cause.getMessage();
        return message != null && message.contains("lease not found");
    }

    private static Status.Code statusCode(Throwable t) {
        if (t instanceof EtcdException ee && ee.getErrorCode() != null) {
            try {
                return Status.Code.valueOf(ee.getErrorCode().name());
            } catch (IllegalArgumentException ignored) {
                // fall through
            }
        }
        return Status.fromThrowable(t).getCode();
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Status status = Status.fromThrowable(t);
        if (status.getCode() != Status.Code.UNKNOWN || t instanceof io.grpc.StatusRuntimeException) {
            StringBuilder sb = new StringBuilder(status.getCode().name());
            if (status.getDescription() != null) {
                sb.append(": ").append(status.getDescription());
            }
            Throwable root = status.getCause();
            while (root != null && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != null && root.getMessage() != null) {
                sb.append(" (").append(root.getMessage()).append(')');
            }
            return sb.toString();
        }
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private Thread closeInBackground(Watch.Watcher w, Client c) {
        Thread t = new Thread(() -> {
            if (w != null) {
                closeQuietly(w);
            }
            if (c != null) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "closing etcd client failed", e);
                }
            }
        }, "baton-etcd-close");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void closeQuietly(Watch.Watcher w) {
        try {
            w.close();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "closing etcd watcher failed", e);
        }
    }

    private Deadline deadline() {
        return new Deadline(System.nanoTime() + opTimeoutNanos);
    }

    /** The shared deadline of one public call (its sub-requests all fit inside opTimeout). */
    private record Deadline(long atNanos) {
        long remainingNanos() {
            return Math.max(0, atNanos - System.nanoTime());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Encoding
    // ------------------------------------------------------------------------------------------

    static String parseEndpoint(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String e = endpoint.strip();
        if (e.startsWith("https://")) {
            throw new IllegalArgumentException("TLS endpoints are not supported: " + endpoint);
        }
        if (e.startsWith("http://")) {
            e = e.substring("http://".length());
        }
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        int colon = e.lastIndexOf(':');
        if (e.isEmpty() || colon <= 0 || colon == e.length() - 1 || e.contains("/")) {
            throw new IllegalArgumentException("etcd endpoint must be host:port, got '" + endpoint + "'");
        }
        try {
            int port = Integer.parseInt(e.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException nfe) {
            throw new IllegalArgumentException("etcd endpoint has an invalid port: '" + endpoint + "'");
        }
        return e;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    private static String string(ByteSequence b) {
        return b.toString(UTF_8);
    }
}
