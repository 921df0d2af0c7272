package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.FenceResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import dev.baton.leader.testing.InMemoryCluster;
import dev.baton.leader.testing.InMemoryClusterStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cycle-by-cycle test bench for {@link HaLoop}, in the spirit of Patroni's {@code tests/test_ha.py}:
 * this member ({@code node2}, postgres at 10.0.0.2:5432) against an in-memory etcd, a fake
 * postgres, fake peers, a fake monotonic ticker and wall clock, long actions that run only when
 * the test says so ({@link #runActions()}), and every listener event recorded. Other members are
 * played by the test through their own stores ({@link #member}).
 */
final class LoopHarness {
    static final String SYSID = "7300000000000000001";
    static final String ME = "node2";
    static final long SECOND = 1_000_000_000L;

    final AtomicLong nanos = new AtomicLong(5_000 * SECOND);
    final Instant wallStart = Instant.parse("2026-12-01T12:00:00Z");
    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return wallStart.plusNanos(nanos.get() - 5_000 * SECOND);
        }
    };
    final InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);
    final FakePostgres pg = new FakePostgres(SYSID);
    final Map<String, Other> others = new LinkedHashMap<>();
    final Queue actions = new Queue();
    final Queue background = new Queue();
    final List<String> events = new ArrayList<>();
    /** The outcomes of fences before promotion, as the metrics hear them. */
    final List<String> fenceOutcomes = new ArrayList<>();
    /** Runs at each pause of a long action (after the clock moved on), e.g. a cycle meanwhile. */
    Runnable onPause = () -> { };
    final RecordingWatchdog watchdog = new RecordingWatchdog();
    final InMemoryClusterStore store;
    final BatonConfig config;
    final HaLoop loop;
    private final Map<String, Runnable> before = new HashMap<>();
    /** How often the loop called each store method (by name). */
    final Map<String, Integer> storeCalls = new HashMap<>();

    /** Long actions or background steps, run when the test says so (or at once, if {@link #immediate}). */
    static final class Queue implements LongActionSlot.Runner, Executor {
        private final Deque<Runnable> pending = new ArrayDeque<>();
        boolean immediate;

        @Override
        public synchronized void execute(Runnable action) {
            if (immediate) {
                action.run();
            } else {
                pending.add(action);
            }
        }

        /** Runs what is pending (and what that submits), in order. Returns how many ran. */
        int runAll() {
            int n = 0;
            Runnable r;
            while ((r = poll()) != null) {
                r.run();
                n++;
            }
            return n;
        }

        synchronized int size() {
            return pending.size();
        }

        private synchronized Runnable poll() {
            return pending.poll();
        }

        @Override
        public void close() {
        }
    }

    /** The out-of-process watchdog, as the loop arms it. */
    static final class RecordingWatchdog implements Watchdog {
        volatile long armedUntil;
        volatile int leaseTtl;

        @Override
        public void leaseTtlChanged(int ttlSeconds) {
            leaseTtl = ttlSeconds;
        }

        @Override
        public void arm(long deadlineNanos) {
            armedUntil = deadlineNanos;
        }

        @Override
        public void disarm() {
            armedUntil = 0;
        }

        @Override
        public void close() {
            armedUntil = 0;
        }
    }

    /** Another member, played by the test: its member key, its lease, what its REST API answers. */
    final class Other {
        final String name;
        final InMemoryClusterStore store;
        final String host;
        Role role = Role.REPLICA;
        MemberState state = MemberState.RUNNING;
        long wal = 0x3000000L;
        int timeline = 1;
        Map<String, Object> tags = Map.of();
        boolean reachable = true;
        boolean alive = true;
        Boolean checkpointAfterPromote;
        /** What its agent answers to POST /fence (default: unreachable at once); sees the timeout. */
        java.util.function.Function<Duration, FenceResult> restFence =
                t -> FenceResult.of(FenceResult.Outcome.UNREACHABLE, "connection timed out");

        Other(String name, String host) {
            this.name = name;
            this.host = host;
            this.store = etcd.store(name, 10);
        }

        MemberStatus status() {
            return new MemberStatus(name, "postgres://" + host + ":5432/postgres", "http://" + host + ":8008/patroni",
                    state, role, wal, timeline, tags, "t", false, false, checkpointAfterPromote);
        }

        /** Renews its lease and writes its member key. */
        Other publish() {
            store.renewLease();
            store.publishMember(status().toJson());
            return this;
        }

        /** Takes the leader key (a running primary). */
        Other lead() {
            role = Role.PRIMARY;
            publish();
            if (!store.tryAcquireLeader()) {
                throw new AssertionError(name + " could not take the leader key");
            }
            return this;
        }

        /** Its agent dies: the lease (with the leader and member keys) expires at once. */
        void die() {
            alive = false;
            reachable = false;
            etcd.expireLease(store.leaseId());
        }

        Other wal(long w) {
            wal = w;
            return publish();
        }
    }

    LoopHarness() {
        this("");
    }

    /** This member with extra YAML for its configuration (e.g. tags, bootstrap.dcs). */
    LoopHarness(String extraYaml) {
        this(extraYaml, "");
    }

    /** With extra YAML, and extra settings in the postgresql map (e.g. {@code "use_pg_rewind: false"}). */
    LoopHarness(String extraYaml, String postgresqlSettings) {
        this(extraYaml, postgresqlSettings, false);
    }

    /** A backup repository ({@link #backups}), backups on {@link #backupThread}: configure it in {@code extraYaml}. */
    static LoopHarness withBackups(String extraYaml) {
        return new LoopHarness(extraYaml, "", true);
    }

    /** With a backup repository and extra settings in the postgresql map. */
    static LoopHarness withBackups(String extraYaml, String postgresqlSettings) {
        return new LoopHarness(extraYaml, postgresqlSettings, true);
    }

    /** The backup repository (null without one). */
    final FakeBackups backups;
    /** The backup runner (null without a repository); its thread is {@link #backupThread}. */
    final dev.baton.agent.backup.BackupRunner backupRunner;
    final Queue backupThread = new Queue();

    private LoopHarness(String extraYaml, String postgresqlSettings, boolean withBackups) {
        String yaml = """
                scope: demo
                name: node2
                restapi: {listen: 0.0.0.0:8008, connect_address: 10.0.0.2:8008}
                etcd3: {host: 127.0.0.1:2379}
                postgresql: {listen: '*:5432', connect_address: 10.0.0.2:5432, data_dir: /var/lib/pg/data%s}
                """.formatted(postgresqlSettings.isEmpty() ? "" : ", " + postgresqlSettings) + extraYaml;
        var loaded = new ConfigLoader(Map.of()).loadString(yaml);
        if (!loaded.ok()) {
            throw new AssertionError("test config: " + loaded.errors());
        }
        config = loaded.config();
        store = etcd.store(ME, config.bootstrap().dcs().ttl());
        ClusterStore racing = (ClusterStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ClusterStore.class}, (p, m, args) -> {
                    storeCalls.merge(m.getName(), 1, Integer::sum);
                    Runnable r = before.remove(m.getName());
                    if (r != null) {
                        r.run();
                    }
                    try {
                        return m.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        FakePeers peers = new FakePeers();
        backups = withBackups ? new FakeBackups(pg) : null;
        backupRunner = withBackups ? new dev.baton.agent.backup.BackupRunner(backups, clock, backupThread) : null;
        loop = new HaLoop(config, racing, pg, peers, nanos::get, clock, "test-1.0", actions, background,
                d -> {
                    advance(d.toNanos());
                    onPause.run();
                }, backups, backupRunner);
        loop.setWatchdog(watchdog);
        loop.setListener(new HaListener() {
            @Override
            public void started(Role role) {
                events.add("started " + role);
            }

            @Override
            public void stopped(Role role) {
                events.add("stopped " + role);
            }

            @Override
            public void roleChanged(Role newRole) {
                events.add("role " + newRole);
            }

            @Override
            public void fenced() {
                events.add("fenced");
            }

            @Override
            public void reloaded(Role role) {
                events.add("reloaded " + role);
            }

            @Override
            public void stoppedForRestart(Role role) {
                events.add("stopped for restart " + role);
            }

            @Override
            public void restarted(Role role) {
                events.add("restarted " + role);
            }

            @Override
            public void fencedBeforePromotion(String outcome) {
                fenceOutcomes.add(outcome);
            }
        });
    }

    /** Every REST fence, as "node1 by node2 timeout_ms". */
    final List<String> restFences = new ArrayList<>();
    /** The POST /failsafe calls: "name timeout-ms", and the last body sent. */
    final List<String> failsafeCalls = new ArrayList<>();
    String failsafeBody;

    /** What peers' REST APIs answer: the harness's other members, or their member keys if unreachable. */
    private final class FakePeers implements PeerClient {
        @Override
        public List<Candidacy.Peer> poll(List<MemberStatus> members, Duration timeout) {
            List<Candidacy.Peer> out = new ArrayList<>();
            for (MemberStatus m : members) {
                Other o = others.get(m.name());
                boolean reachable = o != null && o.reachable;
                out.add(reachable
                        ? new Candidacy.Peer(o.name, true, o.role != Role.PRIMARY, o.wal, o.timeline, m.nofailover(),
                        m.failoverPriority())
                        : new Candidacy.Peer(m.name(), false, !m.isPrimary(), m.xlogLocation(), m.timeline(),
                        m.nofailover(), m.failoverPriority()));
            }
            return out;
        }

        /** A member accepts while its agent is reachable and it does not run as a primary. */
        @Override
        public List<FailsafePolicy.Answer> failsafe(Map<String, String> members, String body, Duration timeout) {
            failsafeBody = body;
            List<FailsafePolicy.Answer> out = new ArrayList<>();
            members.forEach((name, url) -> {
                failsafeCalls.add(name + " " + timeout.toMillis());
                Other o = others.get(name);
                boolean ok = o != null && o.reachable && o.role != Role.PRIMARY;
                out.add(new FailsafePolicy.Answer(name, ok, ok ? null : o == null ? "unknown" : "unreachable"));
            });
            return out;
        }

        @Override
        public FenceResult fence(MemberStatus oldPrimary, String me, Duration timeout) {
            restFences.add(oldPrimary.name() + " by " + me + " " + timeout.toMillis());
            Other o = others.get(oldPrimary.name());
            return o == null ? FenceResult.of(FenceResult.Outcome.UNREACHABLE, "unknown") : o.restFence.apply(timeout);
        }
    }

    // ---------------------------------------------------------------- setting the scene

    /** Another member at 10.0.0.N, its key published. */
    Other member(String name) {
        Other o = others.computeIfAbsent(name, n -> new Other(n, "10.0.0." + n.charAt(n.length() - 1)));
        return o.publish();
    }

    /** The cluster exists: initialize, config (the bootstrap dcs) and history keys. */
    LoopHarness initialized() {
        etcd.put("initialize", SYSID);
        etcd.put("config", config.bootstrap().dcs().toJson());
        etcd.put("history", "[]");
        return this;
    }

    /** The cluster's dynamic configuration is {@code dynamic} (the config key). */
    void config(DynamicConfig dynamic) {
        etcd.put("config", dynamic.toJson());
    }

    /** A running replica of this cluster, streaming from {@code upstream}. */
    LoopHarness replicaData(String upstream) {
        pg.withData(SYSID, true).running(upstream);
        return this;
    }

    /** A running primary of this cluster. */
    LoopHarness primaryData() {
        pg.withData(SYSID, false).running(null);
        return this;
    }

    /** Just before this member's next call to the store method {@code method}, runs {@code race}. */
    void before(String method, Runnable race) {
        before.put(method, race);
    }

    // ---------------------------------------------------------------- running

    String cycle() {
        return loop.runCycle();
    }

    /** The REST API's operator actions; they wait for their long action, which then runs at once. */
    OperatorActions operatorNow() {
        actions.immediate = true;
        return loop.operatorActions();
    }

    /** The operator actions, long actions still under the test's control. */
    OperatorActions operator() {
        return loop.operatorActions();
    }

    int runActions() {
        return actions.runAll();
    }

    /** Moves both clocks on; the other live members renew their leases as their agents would. */
    void advance(long deltaNanos) {
        nanos.addAndGet(deltaNanos);
        for (Other o : others.values()) {
            if (o.alive) {
                try {
                    o.store.renewLease();
                } catch (dev.baton.leader.StoreUnavailableException e) {
                    // etcd is down for everyone: their leases are not renewed either
                }
            }
        }
    }

    void advanceSeconds(double seconds) {
        advance((long) (seconds * SECOND));
    }

    /** Runs cycles a second apart until one says {@code sentence} (at most {@code max}). */
    String cycleUntil(String fragment, int max) {
        String s = "";
        for (int i = 0; i < max; i++) {
            s = cycle();
            if (s.contains(fragment)) {
                return s;
            }
            runActions();
            advanceSeconds(1);
        }
        throw new AssertionError("no cycle said \"" + fragment + "\" in " + max + " cycles; last: " + s);
    }

    // ---------------------------------------------------------------- looking

    ClusterView view() {
        return ClusterView.of(etcd.snapshot(), config.bootstrap().dcs());
    }

    /** This member's key as published, or null. */
    MemberStatus myKey() {
        return view().member(ME).orElse(null);
    }

    String leader() {
        return view().leader();
    }

    NodeState state() {
        return loop.state();
    }

    boolean holdsLock() {
        return state().holdsLock(nanos.get());
    }

    List<String> calls() {
        return pg.takeCalls();
    }

    List<String> takeEvents() {
        List<String> out = List.copyOf(events);
        events.clear();
        return out;
    }

    boolean dataDirIsAbsent() {
        return pg.kind == DataDirInfo.Kind.ABSENT;
    }
}
