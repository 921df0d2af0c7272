package dev.baton.agent.ha;

import dev.baton.leader.model.SyncState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.ClusterView;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.Decision.AcquireLock;
import dev.baton.agent.ha.Decision.AdoptExisting;
import dev.baton.agent.ha.Decision.Bootstrap;
import dev.baton.agent.ha.Decision.Clone;
import dev.baton.agent.ha.Decision.Demote;
import dev.baton.agent.ha.Decision.Fatal;
import dev.baton.agent.ha.Decision.Follow;
import dev.baton.agent.ha.Decision.NoAction;
import dev.baton.agent.ha.Decision.Promote;
import dev.baton.agent.ha.Decision.ReclaimLock;
import dev.baton.agent.ha.Decision.ReleaseLock;
import dev.baton.agent.ha.Decision.StartPrimary;
import dev.baton.agent.ha.Decision.StartReplica;
import dev.baton.agent.ha.Decision.StopToRewind;
import dev.baton.agent.ha.Decision.Switchover;
import dev.baton.agent.ha.Decision.ClearFailover;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.StoreUnavailableException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HA loop. Each cycle: renew this agent's lease, read the cluster once, look at the local
 * postgres, decide with {@link HaDecider} (pure), act, publish. The lease is renewed here and only
 * here, so a hung loop loses its leadership; a {@link Fence} of its own stops postgres if the
 * lease cannot be confirmed in time, even while the loop is stuck. Long actions (initdb,
 * basebackup, start, rewind) run on a single background slot while the loop keeps renewing and
 * reports "... in progress".
 */
public final class HaLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HaLoop.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Thrown out of a cycle when the agent must stop (e.g. a foreign data directory). */
    public static final class FatalException extends RuntimeException {
        public FatalException(String message) {
            super(message);
        }
    }

    /** Things the loop reports besides its state; all methods are optional. */
    public interface Listener {
        /** postgres was started in {@code role} ("primary" or "replica"). */
        default void started(String role) {
        }

        /** postgres was stopped; it had {@code role}. */
        default void stopped(String role) {
        }

        /** postgres changed role without a restart (promotion) or by a demotion. */
        default void roleChanged(String newRole) {
        }

        /** A cycle ended with {@code sentence} after {@code nanos}. */
        default void cycleFinished(long nanos, String sentence) {
        }

        /** The fence stopped postgres because the lease could not be confirmed in time. */
        default void fenced() {
        }

        /** postgres was reloaded with a changed configuration. */
        default void reloaded() {
        }
    }

    private enum LifeCycle { LATENT, STARTED, CLOSED }

    private final BatonConfig config;
    private final ClusterStore store;
    private final PostgresController pg;
    private final PeerClient peers;
    private final LongSupplier ticker;
    private final Clock clock;
    private final HaDecider decider = new HaDecider();
    private final DynamicConfig bootstrapDynamic;
    private final String version;
    private final ExecutorService longActions;
    private final ExecutorService background;
    private final Fence fence;
    private final AtomicReference<LifeCycle> lifecycle = new AtomicReference<>(LifeCycle.LATENT);
    private final AtomicReference<NodeState> nodeState;
    private final Object cycleLock = new Object();

    private volatile String busy;
    private volatile String lastSentence = "";
    private volatile boolean stopRequested;
    private volatile boolean fatal;
    private volatile boolean checkpointPending;
    private volatile boolean rewindRequested;
    private volatile String rewindFailed;
    private volatile String rewindFailedLeader;
    private volatile long lockValidUntil;
    private volatile boolean fenced;
    private Thread thread;
    private Consumer<String> fatalHandler = m -> { };
    private Listener listener = new Listener() { };

    // State carried between cycles (touched only under cycleLock).
    private LeaseRenewal lastRenewal;
    private String lastMemberJson;
    private String lastStatusJson;
    private volatile DataDirInfo cachedDataDir;
    private long primaryDownSince = -1;
    private long leaderlessSince = -1;
    private long lastStoreSuccess;
    private volatile DynamicConfig dynamic;

    public HaLoop(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers,
                  LongSupplier ticker, Clock clock, String version) {
        this.config = config;
        this.store = store;
        this.pg = pg;
        this.peers = peers;
        this.ticker = ticker;
        this.clock = clock;
        this.version = version;
        this.bootstrapDynamic = config.bootstrap().dcs();
        this.dynamic = bootstrapDynamic;
        this.nodeState = new AtomicReference<>(NodeState.initial(config.name(), config.scope()));
        this.longActions = Executors.newSingleThreadExecutor(daemon("baton-long-action"));
        this.background = Executors.newSingleThreadExecutor(daemon("baton-background"));
        this.fence = new Fence(ticker, this::fenceNow);
        this.lastStoreSuccess = ticker.getAsLong();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Called (once) with the reason when a cycle decides the agent must stop. */
    public void onFatal(Consumer<String> handler) {
        this.fatalHandler = handler;
    }

    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public NodeState state() {
        return nodeState.get();
    }

    public String lastSentence() {
        return lastSentence;
    }

    public void start() {
        if (!lifecycle.compareAndSet(LifeCycle.LATENT, LifeCycle.STARTED)) {
            throw new IllegalStateException("the HA loop can be started only once");
        }
        fence.start();
        thread = new Thread(this::run, "baton-ha-loop");
        thread.start();
    }

    private void run() {
        while (!stopRequested) {
            long started = ticker.getAsLong();
            try {
                runCycle();
            } catch (FatalException e) {
                LOG.severe(e.getMessage());
                fatal = true;
                stopRequested = true;
                fatalHandler.accept(e.getMessage());
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "HA cycle failed: " + e.getMessage(), e);
                lastSentence = "cycle failed: " + e.getMessage();
            }
            long elapsedMs = (ticker.getAsLong() - started) / 1_000_000;
            long waitMs = dynamic.loopWait() * 1000L - elapsedMs;
            if (waitMs > 0 && !stopRequested) {
                store.awaitChange(Duration.ofMillis(waitMs));
            }
        }
    }

    /** Runs one cycle and returns its sentence (tests call this directly). */
    public String runCycle() {
        synchronized (cycleLock) {
            long started = ticker.getAsLong();
            String sentence;
            try {
                sentence = cycle();
            } catch (StoreUnavailableException e) {
                sentence = onStoreUnavailable(e);
            } catch (PostgresException e) {
                sentence = "postgres action failed: " + e.getMessage();
            }
            if (!sentence.equals(lastSentence)) {
                LOG.info(sentence);
            }
            lastSentence = sentence;
            NodeState s = nodeState.get();
            long now = ticker.getAsLong();
            nodeState.set(new NodeState(s.name(), s.scope(), s.role(), s.state(), s.pg(), s.lockHolder(),
                    lockValidUntil, sentence, s.cluster(), now, s.dcsLastSeenEpochSeconds(),
                    s.systemId(), s.noloadbalance(), s.nofailover(), s.pendingRestart()));
            listener.cycleFinished(now - started, sentence);
            return sentence;
        }
    }

    private String cycle() {
        LeaseRenewal renewal = store.renewLease();
        lastRenewal = renewal;
        ClusterSnapshot snapshot = store.read();
        lastStoreSuccess = ticker.getAsLong();
        ClusterView view = ClusterView.of(snapshot, bootstrapDynamic);
        dynamic = view.dynamic();
        fenced = false;
        long now = ticker.getAsLong();
        long sureUntil = sureUntil(renewal);
        boolean lockIsMine = config.name().equals(view.leader()) && view.leaderLeaseId() == renewal.leaseId()
                && now - sureUntil < 0;
        holdLock(lockIsMine ? sureUntil : 0);
        leaderlessSince = view.hasLeader() ? -1 : (leaderlessSince < 0 ? now : leaderlessSince);
        if (rewindFailed != null && view.hasLeader() && !view.leader().equals(rewindFailedLeader)) {
            // A rewind against one leader (perhaps already dead) says nothing about the next one.
            LOG.info("a new leader, " + view.leader() + ": trying to rewind again");
            rewindFailed = null;
        }

        String busyNow = busy;
        boolean alive = pg.isRunning();
        DataDirInfo dir = busyNow != null ? DataDirInfo.of(DataDirInfo.Kind.EMPTY) : dataDir(alive);
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        trackPrimaryDown(lockIsMine, alive, now);

        Observation o = new Observation(config.name(), view, lockIsMine, dir, alive, status, pg.configuredUpstream(),
                config.tags().nofailover(), busyNow, primaryDownSince < 0 ? -1 : (now - primaryDownSince) / 1e9,
                leaderlessSince < 0 ? -1 : (now - leaderlessSince) / 1e9, rewindRequested, rewindFailed,
                clock.instant());
        Decision d = decider.decide(o);
        String sentence = act(d, o, renewal);
        if (d instanceof NoAction && alive && status.running()) {
            applyDynamicParameters();
        }

        boolean aliveAfter = pg.isRunning();
        boolean unchanged = aliveAfter == alive && d instanceof NoAction;
        PgStatus after = unchanged ? status : (aliveAfter ? pg.status() : PgStatus.stopped());
        publish(view, after, aliveAfter, renewal.newLease());
        return sentence;
    }

    /**
     * The instant until which this node is sure it holds its lease: {@code loop_wait +
     * retry_timeout} after the renewal was sent (when the next renewal must have succeeded), and
     * never later than a margin before the lease can expire on the server.
     * The REST API's /primary and the fence both use it.
     */
    private long sureUntil(LeaseRenewal r) {
        // The next renewal is due loop_wait after this one and may take retry_timeout.
        long byRetry = r.sentAtNanos() + TimeUnit.SECONDS.toNanos(dynamic.loopWait() + Math.max(1, dynamic.retryTimeout()));
        long byLease = r.validUntilNanos() - marginNanos(r);
        return byRetry - byLease < 0 ? byRetry : byLease;
    }

    private static long marginNanos(LeaseRenewal r) {
        return Math.max(1_000_000_000L, r.ttlSeconds() * 1_000_000_000L / 5);
    }

    /** Records whether (and until when) this node holds the lock, and arms or disarms the fence. */
    private void holdLock(long until) {
        lockValidUntil = until;
        if (until != 0 && !dynamic.pause()) {
            fence.arm(until);
            watchdog.arm(until);
        } else {
            fence.disarm();
            watchdog.disarm();
        }
    }

    private volatile Watchdog watchdog = Watchdog.NONE;

    /** Sets the out-of-process fencing watchdog (before {@link #start()}). */
    public void setWatchdog(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** The fence fired: the lease could not be confirmed in time. Stop accepting writes now. */
    private void fenceNow() {
        lockValidUntil = 0;
        watchdog.disarm();
        try {
            if (pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE, Duration.ofSeconds(30));
                listener.stopped("primary");
            }
        } catch (PostgresException e) {
            LOG.severe("fencing could not stop postgres: " + e.getMessage());
        }
        // Fenced, whether this thread stopped postgres or the out-of-process watchdog, firing at
        // the same deadline, got there first.
        cachedDataDir = null;
        fenced = true;
        listener.fenced();
    }

    private DataDirInfo dataDir(boolean alive) {
        // pg_controldata is only needed when something may have changed on disk.
        DataDirInfo cached = cachedDataDir;
        if (alive && cached != null && cached.hasData()) {
            return cached;
        }
        cachedDataDir = pg.inspectDataDir();
        return cachedDataDir;
    }

    private void trackPrimaryDown(boolean lockIsMine, boolean alive, long now) {
        if (lockIsMine && !alive) {
            if (primaryDownSince < 0) {
                primaryDownSince = now;
            }
        } else if (alive || !lockIsMine) {
            primaryDownSince = -1;
        }
    }

    // ------------------------------------------------------------------ acting

    private String act(Decision d, Observation o, LeaseRenewal renewal) {
        ClusterView view = o.cluster();
        if (d instanceof NoAction n) {
            if (n.leader()) {
                leaderHousekeeping(view, o.pg());
            }
            return n.reason();
        }
        if (d instanceof Fatal f) {
            throw new FatalException(f.reason());
        }
        if (d instanceof Bootstrap) {
            return bootstrap();
        }
        if (d instanceof Clone c) {
            MemberStatus leader = view.member(c.source()).orElseThrow();
            Upstream up = upstream(leader);
            runLong("clone from " + c.source(), () -> {
                pg.basebackup(leader.host(), leader.port());
                cachedDataDir = null;
                pg.configure(true, up, dynamic);
                pg.start(startTimeout());
                listener.started("replica");
            });
            return c.reason();
        }
        if (d instanceof StartPrimary s) {
            runLong("start as primary", () -> {
                pg.configure(false, null, dynamic);
                pg.start(startTimeout());
                listener.started("primary");
            });
            return s.reason();
        }
        if (d instanceof StartReplica s) {
            MemberStatus leader = s.leader() == null ? null : view.member(s.leader()).orElse(null);
            Upstream up = leader == null || leader.host() == null ? null : upstream(leader);
            runLong(s.rewindFirst() ? "rewind from " + s.leader() : "start as replica", () -> {
                if (s.rewindFirst() && up != null && !rewindIfDiverged(leader)) {
                    return;
                }
                rewindRequested = false;
                pg.configure(true, up, dynamic);
                pg.start(startTimeout());
                listener.started("replica");
            });
            return s.reason();
        }
        if (d instanceof Promote p) {
            return promote(o, p.reason());
        }
        if (d instanceof AcquireLock a) {
            return acquire(o, a, renewal);
        }
        if (d instanceof ReclaimLock r) {
            if (!store.rebindLeader(view.snapshot().leader().modRevision())) {
                return "could not reclaim my leader key: it changed";
            }
            holdLock(sureUntil(renewal));
            return r.reason();
        }
        if (d instanceof Demote dm) {
            holdLock(0);
            if (dm.releaseLock()) {
                store.releaseLeader();
            }
            pg.stop(dm.immediate() ? StopMode.IMMEDIATE : StopMode.FAST, Duration.ofSeconds(60));
            cachedDataDir = null;
            listener.stopped("primary");
            listener.roleChanged("replica");
            return dm.reason();
        }
        if (d instanceof Switchover sw) {
            return switchover(o, sw);
        }
        if (d instanceof ClearFailover cf) {
            store.deleteFailover(cf.modRevision());
            leaderHousekeeping(view, o.pg());
            return cf.reason();
        }
        if (d instanceof StopToRewind s) {
            rewindRequested = true;
            pg.stop(StopMode.FAST, Duration.ofSeconds(60));
            cachedDataDir = null;
            listener.stopped("replica");
            return s.reason();
        }
        if (d instanceof Follow f) {
            MemberStatus leader = view.member(f.leader()).orElseThrow();
            pg.configure(true, upstream(leader), dynamic);
            pg.reload();
            return f.reason();
        }
        if (d instanceof ReleaseLock r) {
            holdLock(0);
            store.releaseLeader();
            return r.reason();
        }
        if (d instanceof AdoptExisting a) {
            if (!store.tryAcquireLeader()) {
                return "lost the race to take over the existing data directory";
            }
            store.createInitialize(o.dataDir().systemId());
            store.casConfig(bootstrapDynamic.toJson(), 0);
            return a.reason();
        }
        throw new IllegalStateException("unhandled decision " + d);
    }

    private Duration startTimeout() {
        return Duration.ofSeconds(Math.max(60, dynamic.primaryStartTimeout()));
    }

    private Upstream upstream(MemberStatus leader) {
        return new Upstream(leader.host(), leader.port(), slotName(config.name()));
    }

    /** Patroni's slot naming: lower case, anything but [a-z0-9_] becomes '_'. */
    public static String slotName(String member) {
        return member.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    private boolean usePgRewind() {
        Boolean local = config.postgresql().usePgRewind();
        return local != null ? local : dynamic.usePgRewind();
    }

    /**
     * Runs on the long-action slot before a former primary follows {@code leader}: if its history
     * went past the leader's, keeps the WAL about to be discarded beside the data directory,
     * records the discarded range in the log and in the {@code history} key, and rewinds.
     * Returns false when postgres must stay down.
     */
    private boolean rewindIfDiverged(MemberStatus leader) {
        try {
            RewindCheck check = pg.checkRewind(leader.host(), leader.port());
            if (!check.needed()) {
                LOG.info("no rewind needed to follow " + leader.name());
                return true;
            }
            if (!usePgRewind()) {
                throw new PostgresException("the data directory diverged from " + leader.name() + " at "
                        + Lsn.format(check.divergenceLsn()) + " on timeline " + check.timeline()
                        + " and use_pg_rewind is off");
            }
            long end = pg.localWalEnd();
            Path kept = pg.keepWal(check.timeline(), check.divergenceLsn());
            String note = config.name() + " discarded WAL " + Lsn.format(check.divergenceLsn()) + " to "
                    + (end > 0 ? Lsn.format(end) : "its end") + " of timeline " + check.timeline()
                    + " (kept in " + kept + ")";
            LOG.warning("rewinding to follow " + leader.name() + ": " + note);
            recordDivergence(check.timeline(), check.divergenceLsn(), note);
            pg.rewind(leader.host(), leader.port());
            cachedDataDir = null;
            LOG.info("pg_rewind from " + leader.name() + " finished");
            return true;
        } catch (PostgresException e) {
            if (stopRequested) {
                return false;
            }
            if (config.postgresql().removeDataDirectoryOnRewindFailure()) {
                LOG.severe(e.getMessage() + "; removing the data directory to clone it again "
                        + "(remove_data_directory_on_rewind_failure)");
                pg.removeDataDirectory();
                cachedDataDir = null;
                return false;
            }
            rewindFailedLeader = leader.name();
            rewindFailed = "pg_rewind from " + leader.name() + " failed (" + e.getMessage() + "); set "
                    + "postgresql.remove_data_directory_on_rewind_failure to re-clone automatically, "
                    + "or re-clone this member by hand (baton reinit)";
            LOG.severe(rewindFailed);
            return false;
        }
    }

    /** Adds the discarded range to the history line of the timeline it happened on. */
    private void recordDivergence(int timeline, long lsn, String note) {
        try {
            ClusterSnapshot s = store.read();
            ArrayNode history = s.history() == null ? JSON.createArrayNode()
                    : (ArrayNode) JSON.readTree(s.history().value());
            boolean found = false;
            for (JsonNode line : history) {
                if (line.isArray() && line.size() >= 3 && line.get(0).asInt() == timeline) {
                    ((ArrayNode) line).set(2, JSON.getNodeFactory().textNode(line.get(2).asText() + "; " + note));
                    found = true;
                }
            }
            if (!found) {
                history.add(JSON.createArrayNode().add(timeline).add(lsn).add(note).add(now()).add(""));
            }
            store.putHistory(history.toString());
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.warning("could not record the discarded WAL in the history key: " + e.getMessage());
        }
    }

    private String now() {
        return OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC).toString();
    }

    private String bootstrap() {
        if (!store.createInitialize("")) {
            return "lost the bootstrap race: another member is initializing the cluster";
        }
        if (!store.tryAcquireLeader()) {
            store.deleteInitialize("");
            return "lost the bootstrap race: another member holds the leader key";
        }
        runLong("bootstrap (initdb)", () -> {
            try {
                pg.initdb();
                pg.configure(false, null, bootstrapDynamic);
                pg.start(startTimeout());
                pg.ensureReplicationRole();
                cachedDataDir = null;
                DataDirInfo info = pg.inspectDataDir();
                if (!store.replaceInitialize("", info.systemId())) {
                    throw new PostgresException("the initialize key changed while bootstrapping");
                }
                store.casConfig(bootstrapDynamic.toJson(), 0);
                store.putHistory("[]");
                pg.checkpoint();
                listener.started("primary");
            } catch (RuntimeException e) {
                LOG.severe("bootstrap failed, cleaning up so that it can be retried: " + e.getMessage());
                try {
                    pg.stop(StopMode.IMMEDIATE, Duration.ofSeconds(30));
                    pg.removeDataDirectory();
                    store.deleteInitialize("");
                    store.releaseLeader();
                } catch (RuntimeException cleanup) {
                    LOG.warning("cleanup after the failed bootstrap failed: " + cleanup.getMessage());
                }
                throw e;
            }
        });
        return "bootstrapping a new cluster: I won the initialize race";
    }

    /**
     * Promotes on the long-action slot (a promotion can hang, e.g. on a stuck WAL receiver, and
     * the loop must keep renewing meanwhile), then creates the slots, records the timeline switch
     * in {@code history}, and checkpoints in the background.
     */
    private String promote(Observation o, String sentence) {
        int oldTimeline = o.pg().timeline();
        ClusterView view = o.cluster();
        if (dynamic.synchronousMode()) {
            // Patroni's order: claim the sync key first (no standby listed: none is known to hold my
            // future commits), so that no one else counts as a synchronous standby of the old primary.
            if (!store.casSync(SyncState.toJson(config.name(), null), view.sync().modRevision())) {
                return "postponing promotion: the sync key was changed by someone else";
            }
        }
        String names = dynamic.synchronousMode() ? SyncPlanner.namesValue(java.util.List.of(), dynamic.strictSynchronous())
                : null;
        runLong("promote", () -> {
            checkpointPending = true;
            // A clone or rewind copied the old primary's synchronous_standby_names along: replace it
            // before opening for writes (it may name this very node, and commits would hang).
            pg.setSynchronousStandbyNames(names);
            appliedSyncNames = names == null ? RESET_SYNC_NAMES : names;
            pg.promote(Duration.ofSeconds(60));
            cachedDataDir = null;
            // Open for writes now: /primary answers 200 (the lock is held) without waiting for the
            // slots, the history key and the next cycle.
            publishLocal();
            listener.roleChanged("primary");
            PgStatus after = pg.status();
            // Slots first: the other members re-point to this node as soon as they see the new key.
            maintainSlots(view);
            appendHistory(view, oldTimeline, after.timeline());
            checkpointAfterPromote();
        });
        return sentence;
    }

    private void checkpointAfterPromote() {
        background.submit(() -> {
            try {
                // pg_rewind of the former primary needs this node's control file on the new timeline.
                pg.checkpoint();
            } catch (PostgresException e) {
                LOG.warning("checkpoint after promotion failed: " + e.getMessage());
            } finally {
                checkpointPending = false;
                store.wakeUp();
            }
        });
    }

    private void appendHistory(ClusterView view, int oldTimeline, int newTimeline) {
        try {
            String file = pg.timelineHistory(newTimeline);
            long switchLsn = 0;
            String reason = "no recovery target specified";
            if (file != null) {
                for (String line : file.split("\n")) {
                    String[] f = line.trim().split("\t");
                    if (f.length >= 2 && f[0].matches("\\d+") && Integer.parseInt(f[0]) == oldTimeline) {
                        switchLsn = Lsn.parse(f[1]);
                        reason = f.length > 2 ? f[2] : reason;
                    }
                }
            }
            ArrayNode history = view.snapshot().history() == null ? JSON.createArrayNode()
                    : (ArrayNode) JSON.readTree(view.snapshot().history().value());
            history.add(JSON.createArrayNode().add(oldTimeline).add(switchLsn).add(reason).add(now()).add(config.name()));
            store.putHistory(history.toString());
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.warning("could not append to the history key: " + e.getMessage());
        }
    }

    private String acquire(Observation o, AcquireLock a, LeaseRenewal renewal) {
        if (a.checkHealth()) {
            Candidacy.Verdict v = checkCandidacy(o);
            if (!v.healthiest()) {
                return "not taking over: " + v.reason();
            }
        }
        if (!store.tryAcquireLeader()) {
            return "lost the leader race: another member took the leader key";
        }
        holdLock(sureUntil(renewal));
        if (o.pg().inRecovery()) {
            return promote(o, "promoting self: I acquired the leader key");
        }
        return "acquired the vacant leader key as the running primary";
    }

    private Candidacy.Verdict checkCandidacy(Observation o) {
        List<MemberStatus> others = new ArrayList<>();
        for (MemberStatus m : o.cluster().members().values()) {
            if (!m.name().equals(config.name())) {
                others.add(m);
            }
        }
        List<Candidacy.Peer> reports = others.isEmpty() ? List.of()
                : peers.poll(others, Duration.ofMillis(Math.min(2000, dynamic.loopWait() * 1000L + 500)));
        if (o.cluster().dynamic().synchronousMode()) {
            // Only synchronous standbys may take over: the others neither compete nor veto (they
            // still veto as a running primary).
            List<Candidacy.Peer> eligible = new ArrayList<>();
            for (Candidacy.Peer p : reports) {
                eligible.add(o.cluster().mayPromote(p.name()) ? p : new Candidacy.Peer(p.name(), p.reachable(),
                        p.inRecovery(), p.walPosition(), p.timeline(), true, p.failoverPriority()));
            }
            reports = eligible;
        }
        Integer prio = config.tags().failoverPriority();
        return Candidacy.evaluate(config.name(), o.pg().walPosition(), o.pg().timeline(), prio == null ? 1 : prio,
                dynamic.maximumLagOnFailover(), o.cluster().lastLeaderLsn(), reports);
    }

    private void leaderHousekeeping(ClusterView view, PgStatus status) {
        maintainSlots(view);
        syncReplication(view, status);
        ObjectNode st = JSON.createObjectNode();
        st.put("optime", status.walPosition());
        String json = st.toString();
        if (!json.equals(lastStatusJson)) {
            store.putStatus(json);
            lastStatusJson = json;
        }
    }

    /** {@link #appliedSyncNames}: synchronous_standby_names was reset to postgresql.conf's value. */
    private static final String RESET_SYNC_NAMES = "\u0000reset";

    /** What this agent last set as synchronous_standby_names (null: not known since it started). */
    private String appliedSyncNames;

    /**
     * Synchronous mode on the leader ({@link SyncPlanner}): at most one write of the {@code sync}
     * key per cycle. Names leave the key before they leave synchronous_standby_names, and join it
     * only once postgres reports them synchronous.
     */
    private void syncReplication(ClusterView view, PgStatus status) {
        try {
            SyncState key = view.sync();
            if (!dynamic.synchronousMode()) {
                if (key.present() && store.deleteSync(key.modRevision())) {
                    LOG.info("synchronous mode is off: removed the sync key");
                }
                if (!RESET_SYNC_NAMES.equals(appliedSyncNames)) {
                    pg.setSynchronousStandbyNames(null);
                    appliedSyncNames = RESET_SYNC_NAMES;
                }
                return;
            }
            SyncPlanner.Plan plan = SyncPlanner.plan(config.name(), key, status.replication(), view.members(),
                    dynamic.synchronousNodeCount(), dynamic.strictSynchronous(), appliedSyncNames);
            if (plan.publishFirst() != null) {
                if (!store.casSync(SyncState.toJson(config.name(), plan.publishFirst()), key.modRevision())) {
                    LOG.info("the sync key was changed by someone else; trying again next cycle");
                    return;
                }
                LOG.info("synchronous standbys in the sync key: " + describe(plan.publishFirst()));
            }
            if (plan.namesValue() != null) {
                pg.setSynchronousStandbyNames(plan.namesValue());
                appliedSyncNames = plan.namesValue();
                LOG.info("synchronous_standby_names = '" + plan.namesValue() + "'"
                        + (plan.picked().isEmpty() ? (dynamic.strictSynchronous()
                        ? ": no standby available, commits wait (synchronous_mode_strict)"
                        : ": no standby available, running without a synchronous standby") : ""));
            }
            if (plan.publishFirst() != null || plan.picked().isEmpty()) {
                return;
            }
            java.util.Set<String> confirmed = SyncPlanner.confirmed(plan.picked(), status.replication());
            long deadline = ticker.getAsLong() + TimeUnit.MILLISECONDS.toNanos(1000);
            while (plan.namesValue() != null && confirmed.size() < plan.picked().size()
                    && ticker.getAsLong() - deadline < 0) {
                // The reload takes effect asynchronously: give the walsenders a moment.
                Thread.sleep(20);
                confirmed = SyncPlanner.confirmed(plan.picked(), pg.status().replication());
            }
            if (!confirmed.isEmpty() && !confirmed.equals(key.standbys())) {
                if (store.casSync(SyncState.toJson(config.name(), confirmed), key.modRevision())) {
                    LOG.info("synchronous standby status assigned to " + describe(confirmed));
                }
            }
        } catch (PostgresException e) {
            LOG.warning("synchronous replication management failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(java.util.Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** One physical slot per other member; slots of members that are gone are dropped (as Patroni does). */
    private void maintainSlots(ClusterView view) {
        if (dynamic.useSlots()) {
            try {
                Set<String> existing = pg.physicalSlots();
                Set<String> wanted = new TreeSet<>();
                for (String member : view.members().keySet()) {
                    if (!member.equals(config.name())) {
                        wanted.add(slotName(member));
                    }
                }
                for (String slot : wanted) {
                    if (!existing.contains(slot)) {
                        pg.createPhysicalSlot(slot);
                        LOG.info("created replication slot " + slot);
                    }
                }
                for (String slot : existing) {
                    if (!wanted.contains(slot)) {
                        pg.dropPhysicalSlot(slot);
                    }
                }
            } catch (PostgresException e) {
                LOG.warning("replication slot maintenance failed: " + e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ operator actions (REST)

    /** The outcome of an operator action: an HTTP-like status and a message. */
    public record ActionResult(int status, String message) {
    }

    /**
     * Restarts postgres in its current role on the long-action slot and waits for the result.
     * {@code role}: only if this node has that role ("primary"/"replica"; null = any);
     * {@code pendingOnly}: only if a changed parameter waits for a restart.
     */
    public ActionResult restart(String role, boolean pendingOnly, Duration timeout) {
        PgStatus st = pg.isRunning() ? pg.status() : PgStatus.stopped();
        String current = st.running() ? (st.inRecovery() ? "replica" : "primary") : "stopped";
        if (role != null && !role.equals("any") && !role.equals(current) && !("master".equals(role) && current.equals("primary"))) {
            return new ActionResult(412, "restart conditions are not satisfied: this member is " + current + ", not " + role);
        }
        if (pendingOnly && !st.pendingRestart()) {
            return new ActionResult(412, "restart conditions are not satisfied: no restart is pending");
        }
        if (!st.running()) {
            return new ActionResult(503, "postgres is not running here; the HA loop starts it");
        }
        return awaitLong("restart", timeout, () -> {
            boolean replica = st.inRecovery();
            Upstream up = replica ? currentUpstream() : null;
            pg.stop(StopMode.FAST, Duration.ofSeconds(60));
            listener.stopped(current);
            pg.configure(replica, up, dynamic);
            pg.start(startTimeout());
            listener.started(current);
            return "restarted successfully";
        });
    }

    /** Re-renders postgresql.conf from the current configuration and reloads postgres. */
    public ActionResult reload() {
        if (!pg.isRunning()) {
            return new ActionResult(503, "postgres is not running here");
        }
        ActionResult r = awaitLong("reload", Duration.ofSeconds(30), () -> {
            PgStatus st = pg.status();
            pg.configure(st.inRecovery(), st.inRecovery() ? currentUpstream() : null, dynamic);
            pg.reload();
            listener.reloaded();
            return "reloaded";
        });
        return r.status() == 200 ? new ActionResult(202, "reload scheduled") : r;
    }

    /** Wipes this replica's data directory; the next cycle clones it again from the leader. */
    public ActionResult reinitialize() {
        if (lockValidUntil != 0 || config.name().equals(nodeState.get().lockHolder())) {
            return new ActionResult(503, "I am the leader, can not reinitialize");
        }
        ActionResult r = awaitLong("reinitialize", Duration.ofSeconds(120), () -> {
            pg.stop(StopMode.FAST, Duration.ofSeconds(60));
            listener.stopped("replica");
            pg.removeDataDirectory();
            rewindFailed = null;
            rewindRequested = false;
            return "reinitialize started";
        });
        return r;
    }

    private ActionResult awaitLong(String description, Duration timeout, java.util.concurrent.Callable<String> action) {
        java.util.concurrent.CompletableFuture<String> done = new java.util.concurrent.CompletableFuture<>();
        synchronized (cycleLock) {
            if (busy != null) {
                return new ActionResult(503, busy + " is in progress; try again later");
            }
            runLong(description, () -> {
                try {
                    done.complete(action.call());
                } catch (Exception e) {
                    done.completeExceptionally(e);
                    throw e instanceof RuntimeException re ? re : new PostgresException(e.getMessage(), e);
                }
            });
        }
        try {
            return new ActionResult(200, done.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            return new ActionResult(503, description + " did not finish within " + timeout.toSeconds() + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            return new ActionResult(503, description + " failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ActionResult(503, description + " was interrupted");
        }
    }

    private void runLong(String description, Runnable action) {
        busy = description;
        longActions.submit(() -> {
            try {
                action.run();
                LOG.info(description + " finished");
            } catch (RuntimeException e) {
                if (stopRequested) {
                    LOG.info(description + " stopped: the agent is shutting down");
                } else {
                    LOG.severe(description + " failed: " + e.getMessage());
                }
            } finally {
                busy = null;
                cachedDataDir = null;
                store.wakeUp();
            }
        });
    }

    // ------------------------------------------------------------------ store outage

    private String onStoreUnavailable(StoreUnavailableException e) {
        long now = ticker.getAsLong();
        boolean alive = pg.isRunning();
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        double downFor = (now - lastStoreSuccess) / 1e9;
        boolean sure = lockValidUntil != 0 && now - lockValidUntil < 0;
        if (!sure) {
            holdLock(0);
        }
        if (status.runningAsPrimary() && !sure && !dynamic.pause()) {
            fenceNow();
            startReadOnly();
            publishLocal();
            return "demoted self because the cluster store is not accessible and I was the leader";
        }
        if (!alive && fenced && busy == null) {
            // A fenced former primary keeps serving reads, as a standby that follows no one.
            startReadOnly();
            publishLocal();
            return "started read-only after fencing: the cluster store is not accessible";
        }
        publishLocal();
        return String.format(Locale.ROOT, "cluster store not accessible for %.1f s (%s); no action as a %s", downFor,
                e.getMessage(), sure ? "leader whose lease is still valid" : alive ? "replica" : "stopped node");
    }

    private void startReadOnly() {
        try {
            pg.configure(true, null, dynamic);
            pg.start(startTimeout());
            fenced = false;
            cachedDataDir = null;
            listener.started("replica");
        } catch (PostgresException e) {
            LOG.warning("could not start read-only: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ publishing

    private void publish(ClusterView view, PgStatus status, boolean alive, boolean newLease) {
        DataDirInfo dir = cachedDataDir;
        String role = roleOf(status, dir);
        String state = stateOf(status, alive);
        Map<String, Object> tags = new TreeMap<>(config.tags().all());
        MemberStatus me = new MemberStatus(config.name(),
                "postgres://" + hostPort(config.postgresql().connectHost(), config.postgresql().connectPort()) + "/postgres",
                "http://" + hostPort(config.restapi().connectHost(), config.restapi().connectPort()) + "/patroni",
                dev.baton.leader.model.MemberState.parse(state), dev.baton.leader.model.Role.parse(role),
                status.walPosition(), status.timeline(), tags, version, status.pendingRestart(),
                dynamic.pause(), checkpointPending && status.runningAsPrimary() ? Boolean.FALSE : null);
        String json = me.toJson();
        if (newLease || !json.equals(lastMemberJson)) {
            store.publishMember(json);
            lastMemberJson = json;
        }
        nodeState.set(new NodeState(config.name(), config.scope(), role, state, status, view.leader(), lockValidUntil,
                lastSentence, view, ticker.getAsLong(), clock.instant().getEpochSecond(),
                dir == null ? null : dir.systemId(), config.tags().noloadbalance(), config.tags().nofailover(),
                status.pendingRestart()));
    }

    private static String roleOf(PgStatus status, DataDirInfo dir) {
        if (status.running()) {
            return status.inRecovery() ? "replica" : "primary";
        }
        return dir != null && dir.hasData() ? "replica" : "uninitialized";
    }

    private void publishLocal() {
        NodeState s = nodeState.get();
        boolean alive = pg.isRunning();
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        nodeState.set(new NodeState(s.name(), s.scope(), status.running() ? roleOf(status, null) : s.role(),
                stateOf(status, alive), status, s.lockHolder(), lockValidUntil, lastSentence, s.cluster(),
                ticker.getAsLong(), s.dcsLastSeenEpochSeconds(), s.systemId(), s.noloadbalance(), s.nofailover(),
                s.pendingRestart()));
    }

    private String stateOf(PgStatus status, boolean alive) {
        String b = busy;
        if (b != null) {
            if (b.startsWith("clone")) {
                return "creating replica";
            }
            if (b.startsWith("bootstrap")) {
                return "initializing new cluster";
            }
            if (b.startsWith("rewind")) {
                return "rewinding";
            }
            return "starting";
        }
        if (rewindFailed != null && !alive) {
            return "rewind failed";
        }
        if (status.running()) {
            return "running";
        }
        return alive ? "starting" : "stopped";
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Graceful shutdown. A primary stops answering /primary, stops postgres with a fast shutdown
     * (connected replicas receive everything up to the shutdown checkpoint before it exits), waits
     * a bounded time until a replica confirms it has that checkpoint, and only then releases the
     * leader key, so a replica takes over at once and no acknowledged write is left behind.
     */
    @Override
    public void close() {
        if (lifecycle.getAndSet(LifeCycle.CLOSED) == LifeCycle.CLOSED) {
            return;
        }
        stopRequested = true;
        store.wakeUp();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(dynamic.retryTimeout() * 2L + dynamic.loopWait() + 5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (cycleLock) {
            longActions.shutdownNow();
            background.shutdownNow();
            fence.close();
            watchdog.close();
            if (fatal) {
                // A refusal touches nothing: not postgres, not the keys.
                pg.close();
                return;
            }
            boolean wasLeader = lockValidUntil != 0;
            lockValidUntil = 0;
            NodeState s = nodeState.get();
            nodeState.set(new NodeState(s.name(), s.scope(), s.role(), "stopping", s.pg(), s.lockHolder(), 0,
                    "shutting down", s.cluster(), ticker.getAsLong(), s.dcsLastSeenEpochSeconds(), s.systemId(),
                    s.noloadbalance(), s.nofailover(), s.pendingRestart()));
            PgStatus before = pg.isRunning() ? pg.status() : PgStatus.stopped();
            try {
                pg.stop(StopMode.FAST, Duration.ofSeconds(60));
                listener.stopped(before.runningAsPrimary() ? "primary" : "replica");
            } catch (PostgresException e) {
                LOG.warning("stopping postgres failed: " + e.getMessage());
            }
            markStopped();
            try {
                if (wasLeader && before.runningAsPrimary()) {
                    awaitShutdownCheckpoint(null);
                }
                if (store.releaseLeader()) {
                    LOG.info("released the leader key");
                }
                ObjectNode n = (ObjectNode) JSON.readTree(lastMemberJson == null ? "{}" : lastMemberJson);
                n.put("state", "stopped");
                n.remove("xlog_location");
                store.publishMember(n.toString());
            } catch (StoreUnavailableException | com.fasterxml.jackson.core.JsonProcessingException e) {
                LOG.warning("could not update the cluster store on shutdown: " + e.getMessage());
            }
            pg.close();
            lastSentence = "shut down";
        }
    }

    private void markStopped() {
        NodeState s = nodeState.get();
        nodeState.set(new NodeState(s.name(), s.scope(), s.role().equals("uninitialized") ? s.role() : "replica",
                "stopped", PgStatus.stopped(), s.lockHolder(), 0, "shutting down", s.cluster(), ticker.getAsLong(),
                s.dcsLastSeenEpochSeconds(), s.systemId(), s.noloadbalance(), s.nofailover(), s.pendingRestart()));
    }

    /**
     * A planned handover: stop answering /primary, stop postgres cleanly, wait (bounded) until the
     * candidate (or any replica) has received the shutdown checkpoint, and only then release the
     * leader key. The {@code failover} key stays, so the candidate takes over and the others wait
     * for it; the new leader removes the key.
     */
    private String switchover(Observation o, Switchover sw) {
        holdLock(0);
        markStopped();
        pg.stop(StopMode.FAST, Duration.ofSeconds(60));
        cachedDataDir = null;
        listener.stopped("primary");
        listener.roleChanged("replica");
        boolean confirmed = awaitShutdownCheckpoint(sw.candidate());
        store.releaseLeader();
        return sw.reason() + (confirmed ? "; the shutdown checkpoint reached "
                + (sw.candidate() == null ? "a replica" : sw.candidate()) + ", leader key released"
                : "; no replica confirmed the shutdown checkpoint in time, leader key released anyway");
    }

    /** Parameters of the {@code config} key take effect by reload when they change. */
    private Map<String, String> appliedParameters;

    private void applyDynamicParameters() {
        Map<String, String> wanted = dynamic.parameters();
        if (appliedParameters == null) {
            appliedParameters = wanted;
            return;
        }
        if (!wanted.equals(appliedParameters)) {
            PgStatus st = pg.status();
            pg.configure(st.inRecovery(), st.inRecovery() ? currentUpstream() : null, dynamic);
            pg.reload();
            appliedParameters = wanted;
            listener.reloaded();
            LOG.info("applied changed PostgreSQL parameters from the cluster configuration (reload)");
        }
    }

    private Upstream currentUpstream() {
        String up = pg.configuredUpstream();
        if (up == null) {
            return null;
        }
        int colon = up.lastIndexOf(':');
        return new Upstream(up.substring(0, colon), Integer.parseInt(up.substring(colon + 1)), slotName(config.name()));
    }

    /**
     * Waits (at most ttl/2) until {@code candidate} (null: any replica that may take over) has
     * received this primary's shutdown checkpoint. Returns whether one did.
     */
    private boolean awaitShutdownCheckpoint(String candidate) {
        DataDirInfo info = pg.inspectDataDir();
        long checkpoint = info.checkpointLsn();
        ClusterView view;
        try {
            view = ClusterView.of(store.read(), bootstrapDynamic);
        } catch (StoreUnavailableException e) {
            return false;
        }
        List<MemberStatus> replicas = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(config.name()) && !m.nofailover() && view.mayPromote(m.name())
                    && (candidate == null || m.name().equals(candidate))) {
                replicas.add(m);
            }
        }
        if (replicas.isEmpty() || checkpoint == 0) {
            return false;
        }
        long deadline = ticker.getAsLong() + TimeUnit.SECONDS.toNanos(Math.max(2, dynamic.ttl() / 2));
        while (ticker.getAsLong() - deadline < 0) {
            for (Candidacy.Peer p : peers.pollFresh(replicas, Duration.ofSeconds(1))) {
                if (p.reachable() && p.walPosition() > checkpoint) {
                    LOG.info(p.name() + " has received the shutdown checkpoint " + Lsn.format(checkpoint));
                    return true;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        LOG.warning("no replica confirmed the shutdown checkpoint " + Lsn.format(checkpoint)
                + " in time; releasing the leader key anyway");
        return false;
    }
}
