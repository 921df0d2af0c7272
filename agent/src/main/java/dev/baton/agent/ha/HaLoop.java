package dev.baton.agent.ha;

import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HA loop, a thin executor. Each cycle: renew this agent's lease, read the cluster once, look
 * at the local postgres, decide with {@link HaDecider} (pure), carry the decision out
 * ({@link DecisionExecutor}), publish ({@link MemberPublisher}). The lease is renewed here and only
 * here, so a hung loop loses its leadership; the {@link LockHold}'s fences stop postgres if the
 * lease cannot be confirmed in time, even while the loop is stuck. Long actions run on one slot
 * ({@link LongActionSlot}) while the loop keeps renewing and reports "... in progress". A cycle
 * without the store follows {@link OutagePolicy}. The timing (ttl, loop_wait, retry_timeout)
 * follows the cluster's {@code config} key through {@link Retiming}.
 */
public final class HaLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HaLoop.class.getName());

    /** Thrown out of a cycle when the agent must stop (e.g. a foreign data directory). */
    public static final class FatalException extends RuntimeException {
        public FatalException(String message) {
            super(message);
        }
    }

    private enum LifeCycle { LATENT, STARTED, CLOSED }

    private final BatonConfig config;
    private final ClusterStore store;
    private final PostgresController pg;
    private final LongSupplier ticker;
    private final Clock clock;
    private final HaDecider decider;
    private final ClusterReader reader;
    private final ExecutorService ownBackground;
    private final AtomicReference<LifeCycle> lifecycle = new AtomicReference<>(LifeCycle.LATENT);
    private final Object cycleLock = new Object();
    private final LockHold lock;
    private final DataDirCache dataDir;
    private final LongActionSlot slot;
    private final Rejoin rejoin;
    private final LeaderDuties duties;
    private final Promotion promotion;
    private final FenceBeforePromote fencer;
    private final MemberPublisher publisher;
    private final Handover handover;
    private final DecisionExecutor executor;
    private final OperatorActions operator;
    private final ConfigApplier applier;
    private final OutageResponse outage;
    private final Retiming retiming;
    private final FailsafeState failsafe = new FailsafeState();
    private final PeerClient peers;

    private volatile String lastSentence = "";
    private volatile boolean stopRequested;
    private volatile boolean fatal;
    private volatile DynamicConfig dynamic;
    private volatile HaListener listener = HaListener.NONE;
    /** The node configuration now; each cycle reads it once (a local reload replaces it between cycles). */
    private volatile Supplier<BatonConfig> current;
    /** The configuration the running (or last) cycle read from {@link #current}. */
    private volatile BatonConfig snapshot;
    private Thread thread;
    private Consumer<String> fatalHandler = m -> { };

    // Carried between cycles; touched only under cycleLock.
    private CycleClock cycleClock = CycleClock.start();
    private long lastStoreSuccess;
    /** The last successful renewal (null: none yet); a replica reuses it between renewals. */
    private LeaseRenewal lastRenewal;

    public HaLoop(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers,
                  LongSupplier ticker, Clock clock, String version) {
        this(config, store, pg, peers, ticker, clock, version, null, null);
    }

    /**
     * With the backup repository ({@code backups} null: none, and then {@code runner} is null too):
     * bootstrap by restore, replicas from the latest backup, the stanza and scheduled backups.
     */
    public HaLoop(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers,
                  LongSupplier ticker, Clock clock, String version, BackupRepository backups, BackupRunner runner) {
        this(config, store, pg, peers, ticker, clock, version, LongActionSlot.Runner.thread("baton-long-action"),
                null, Handover.Pause.SLEEP, backups, runner);
    }

    /** For tests: long actions, background steps and handover pauses under the caller's control. */
    HaLoop(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers, LongSupplier ticker,
           Clock clock, String version, LongActionSlot.Runner runner, Executor background, Handover.Pause pause) {
        this(config, store, pg, peers, ticker, clock, version, runner, background, pause, null, null);
    }

    /** For tests, with a backup repository and its runner (both may be null). */
    HaLoop(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers, LongSupplier ticker,
           Clock clock, String version, LongActionSlot.Runner runner, Executor background, Handover.Pause pause,
           BackupRepository backups, BackupRunner backupRunner) {
        this.config = config;
        this.peers = peers;
        this.current = () -> config;
        this.snapshot = config;
        this.store = store;
        this.pg = pg;
        this.ticker = ticker;
        this.clock = clock;
        var noLeaderMethod = RepositoryActions.withoutLeader(config.replicaMethods());
        this.decider = new HaDecider(noLeaderMethod == null ? null : noLeaderMethod.name());
        DynamicConfig bootstrapDynamic = config.bootstrap().dcs();
        this.reader = new ClusterReader(bootstrapDynamic);
        this.ownBackground = background == null ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "baton-background");
            t.setDaemon(true);
            return t;
        }) : null;
        this.lock = new LockHold(pg, ticker);
        this.retiming = new Retiming(store, lock, bootstrapDynamic.timing());
        this.dynamic = bootstrapDynamic.withTiming(retiming.applied());
        this.dataDir = new DataDirCache(pg);
        this.slot = new LongActionSlot(runner, () -> stopRequested, () -> {
            dataDir.invalidate();
            store.wakeUp();
        });
        Context ctx = new Context();
        this.applier = new ConfigApplier(config.name(), pg, ctx);
        this.rejoin = new Rejoin(config.name(), store, pg, ctx);
        BackupDuties backupDuties = backupRunner == null ? BackupDuties.NONE
                : new BackupDuties(store, backupRunner, config.backup() == null ? null : config.backup().schedule(),
                clock, config.name(), config.backup() != null && config.backup().server() != null);
        this.duties = new LeaderDuties(config.name(), store, pg, backupDuties,
                () -> this.config.postgresql().parameters(), clock);
        this.publisher = new MemberPublisher(config, version, store, ticker, clock);
        this.fencer = new FenceBeforePromote(config.name(), pg, peers, ticker, pause);
        this.promotion = new Promotion(config.name(), store, pg, slot, duties,
                background != null ? background : ownBackground, ctx, fencer, publisher::promoted, ticker);
        this.handover = new Handover(config.name(), store, reader, pg, peers, ticker, pause);
        this.executor = new DecisionExecutor(config, store, pg, peers, slot, promotion, rejoin, duties, publisher,
                handover, fencer, ctx, new RepositoryActions(config, store, pg, backups, slot, ctx, ticker, pause,
                backupDuties::stanzaEnsured), new CommandBootstrap(config, store, pg, slot, ctx, ticker, pause),
                new CascadeSlots(config.name(), pg), new ReplicaLogicalSlots(pg, slot, ctx));
        this.operator = new OperatorActions(config.name(), pg, slot, rejoin, applier, publisher::state, ctx, clock);
        this.publisher.setScheduledRestart(() -> operator.scheduled().orElse(null));
        this.outage = new OutageResponse(pg, lock, slot, dataDir, ctx, ticker,
                new FailsafeRound(() -> snapshot, peers, failsafe, ticker), failsafe);
        this.lock.setListener(HaListener.NONE, dataDir::invalidate);
        this.lastStoreSuccess = ticker.getAsLong();
    }

    /** What the loop's parts ask of it. */
    private final class Context implements LoopContext {
        @Override
        public DynamicConfig dynamic() {
            return dynamic;
        }

        @Override
        public HaListener listener() {
            return listener;
        }

        @Override
        public dev.baton.config.Tags tags() {
            return snapshot.tags();
        }

        @Override
        public void holdLock(long until) {
            lock.hold(until, dynamic.pause());
        }

        @Override
        public boolean holdsLock() {
            return lock.held();
        }

        @Override
        public void dataDirChanged() {
            dataDir.invalidate();
        }

        @Override
        public void publishLocal() {
            HaLoop.this.publishLocal();
        }

        @Override
        public void publishPromoted() {
            // What was known a cycle ago, out of recovery: no query between the end of recovery
            // and /primary's 200; the server's own answer follows at once.
            publisher.publishLocal(publisher.state().pg().asPromoted(), true, slot.running(),
                    rejoin.failedSentence() != null, lock.validUntil());
            HaLoop.this.publishLocal();
        }

        @Override
        public String now() {
            return OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC).toString();
        }

        @Override
        public void wakeUp() {
            store.wakeUp();
        }

        @Override
        public boolean shuttingDown() {
            return stopRequested;
        }

        @Override
        public <T> T exclusively(Supplier<T> action) {
            synchronized (cycleLock) {
                return action.get();
            }
        }
    }

    /** Called (once) with the reason when a cycle decides the agent must stop. */
    public void onFatal(Consumer<String> handler) {
        this.fatalHandler = handler;
    }

    public void setListener(HaListener listener) {
        this.listener = listener;
        lock.setListener(listener, dataDir::invalidate);
    }

    /** Sets the out-of-process fencing watchdog (before {@link #start()}). */
    public void setWatchdog(Watchdog watchdog) {
        lock.setWatchdog(watchdog);
        retiming.setWatchdog(watchdog);
    }

    /**
     * Reads the node configuration from {@code current} at the start of each cycle from now on (a
     * local configuration reload replaces it; only the keys {@link dev.baton.config.ReloadPlan#LIVE}
     * names differ from the start's).
     */
    public void follow(Supplier<BatonConfig> current) {
        this.current = java.util.Objects.requireNonNull(current, "current");
    }

    public NodeState state() {
        return publisher.state();
    }

    /** Failsafe mode as this node knows it: the key, the last accepted POST /failsafe (REST API, metrics). */
    public FailsafeState failsafe() {
        return failsafe;
    }

    public String lastSentence() {
        return lastSentence;
    }

    /** restart, reload and reinitialize for the REST API. */
    public OperatorActions operatorActions() {
        return operator;
    }

    public void start() {
        if (!lifecycle.compareAndSet(LifeCycle.LATENT, LifeCycle.STARTED)) {
            throw new IllegalStateException("the HA loop can be started only once");
        }
        lock.start();
        thread = new Thread(this::run, "baton-ha-loop");
        thread.start();
        // What the first failover needs, loaded now rather than while the cluster has no primary.
        peers.warmUp(MemberPublisher.apiUrl(config));
        if (ownBackground != null) {
            ownBackground.execute(() -> {
                store.warmUp();
                pg.warmUpFence();
            });
        }
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
            // A standby just named synchronous is confirmed by the next cycle, soon.
            long waitMs = Math.min(dynamic.loopWait() * 1000L - elapsedMs, duties.confirmationPending() ? 100 : Long.MAX_VALUE);
            // A scheduled restart runs at its time, not up to loop_wait later.
            waitMs = Math.min(waitMs, operator.untilScheduled().map(d -> Math.max(d.toMillis(), 0) + 50)
                    .orElse(Long.MAX_VALUE));
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
                sentence = outage.respond(e, ticker.getAsLong() - lastStoreSuccess);
            } catch (PostgresException e) {
                sentence = "postgres action failed: " + e.getMessage();
            }
            if (!sentence.equals(lastSentence)) {
                LOG.info(sentence);
            }
            lastSentence = sentence;
            long now = ticker.getAsLong();
            publisher.cycleFinished(sentence, lock.validUntil(), now);
            listener.cycleFinished(now - started, sentence);
            return sentence;
        }
    }

    private String cycle() {
        BatonConfig config = current.get(); // this cycle's snapshot
        snapshot = config;
        publisher.follow(config);
        retiming.apply(dynamic.pause());
        // The read comes from the store's watch cache (no request) while its watch is healthy; the
        // lease is renewed every cycle by the leader and by whoever may take the key, by a replica
        // following another leader only every ttl/3 (RenewalPolicy).
        ClusterView view = reader.read(store.read());
        boolean renewed = RenewalPolicy.mustRenew(lastRenewal, store.leaseId(), config.name(), view.leader(),
                view.leaderLeaseId(), lock.held(), ticker.getAsLong());
        LeaseRenewal renewal = renewed ? renew() : lastRenewal;
        lastStoreSuccess = ticker.getAsLong();
        dynamic = retiming.follow(view.dynamic());
        lock.clearFenced();
        long now = ticker.getAsLong();
        long sureUntil = sureUntil(renewal);
        failsafe.observed(dynamic.failsafeMode(), FailsafePolicy.parse(view.snapshot().failsafe() == null ? null
                : view.snapshot().failsafe().value()));
        boolean lockIsMine = LeaseMath.lockIsMine(config.name(), view.leader(), view.leaderLeaseId(), renewal,
                sureUntil, now);
        // Whose the leader key is when its value was overwritten: mine if it is on my lease, or if
        // a put took its lease away while I still held it (Baton never writes a key without one).
        boolean keyOnMyLease = view.hasLeader() && (view.leaderLeaseId() == renewal.leaseId()
                || (view.leaderLeaseId() == 0 && LeaseMath.stillSure(lock.validUntil(), now)));
        LongAction.Running busy = slot.running();
        lock.hold(LeaseMath.holdUntil(lockIsMine, sureUntil, busy), dynamic.pause());
        rejoin.onLeader(view.leader());
        fencer.observe(view);

        boolean alive = pg.isRunning();
        DataDirInfo dir = busy != null ? DataDirInfo.of(DataDirInfo.Kind.EMPTY) : dataDir.get(alive);
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        cycleClock = cycleClock.next(lockIsMine, alive, view.hasLeader(), now);
        Observation o = new Observation(config.name(), config.tags().nofailover(), view, lockIsMine,
                new Observation.Local(dir, alive, status, pg.configuredUpstream()),
                new Observation.Memory(busy, cycleClock.primaryDownSeconds(now), cycleClock.leaderlessSeconds(now),
                        rejoin.requested(), rejoin.failedSentence()),
                clock.instant(), keyOnMyLease, config.tags().nostream(), config.tags().replicatefrom());
        Decision d = decider.decide(o);
        if (!renewed && !(d instanceof Decision.NoAction)) {
            // Anything but following on: renew first, so that a key taken is bound to a lease
            // renewed just now and sureUntil is this cycle's.
            renewal = renew();
            renewed = true;
            sureUntil = sureUntil(renewal);
        }
        if (d instanceof Decision.AcquireLock a && a.promoteIfWon()) {
            String veto = FailsafePolicy.raceVeto(dynamic.failsafeMode(), failsafe.topology(), config.name(),
                    failsafe.ack(), now, dynamic.ttl());
            if (veto != null) {
                d = Decision.NoAction.of(veto);
            }
        }
        String sentence = executor.execute(d, o, sureUntil);
        if (d instanceof Decision.NoAction && alive && status.running()) {
            applier.applyIfChanged(dynamic); // the listener hears of a reload (on_reload)
        }
        // Patroni's evaluate_scheduled_restart: in a cluster with a leader, when nothing else runs.
        if (d instanceof Decision.NoAction && view.hasLeader() && busy == null && slot.running() == null && alive) {
            String restart = operator.runScheduledIfDue(status, dynamic.pause());
            if (restart != null) {
                sentence = restart;
            }
        }

        writeFailsafeKey(view, lock.held() && d instanceof Decision.NoAction && status.runningAsPrimary());

        boolean aliveAfter = pg.isRunning();
        boolean unchanged = aliveAfter == alive && d instanceof Decision.NoAction && slot.running() == null;
        PgStatus after = unchanged ? status : (aliveAfter ? pg.status() : PgStatus.stopped());
        publisher.publish(view, after, aliveAfter, renewed && renewal.newLease(), dataDir.last(), slot.running(),
                rejoin.failedSentence() != null, promotion.checkpointPending(), lock.validUntil());
        return sentence;
    }

    /** Renews the lease and remembers the renewal for the cycles of a replica that skip it. */
    private LeaseRenewal renew() {
        LeaseRenewal r = store.renewLease();
        lastRenewal = r;
        return r;
    }

    /** Until when the renewal {@code r} makes this node sure of its lease ({@link LeaseMath}). */
    private long sureUntil(LeaseRenewal r) {
        return dynamic.failsafeMode() ? LeaseMath.sureUntilByLease(r)
                : LeaseMath.sureUntil(r, dynamic.loopWait(), dynamic.retryTimeout());
    }

    /** The leader in failsafe_mode keeps the {@code failsafe} key listing every member (when it changed). */
    private void writeFailsafeKey(ClusterView view, boolean leaderRunningPrimary) {
        var wanted = FailsafePolicy.topology(view);
        if (FailsafePolicy.mustWrite(dynamic.failsafeMode(), leaderRunningPrimary, failsafe.topology(), wanted)) {
            store.putFailsafe(FailsafePolicy.toJson(wanted));
            failsafe.observed(true, wanted);
        }
    }

    private void publishLocal() {
        boolean alive = pg.isRunning();
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        publisher.publishLocal(status, alive, slot.running(), rejoin.failedSentence() != null, lock.validUntil());
    }

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
            slot.close();
            if (ownBackground != null) {
                ownBackground.shutdownNow();
            }
            lock.close();
            if (fatal) {
                // A refusal touches nothing: not postgres, not the keys.
                pg.close();
                return;
            }
            boolean wasLeader = lock.held();
            lock.release();
            publisher.stopping();
            PgStatus before = pg.isRunning() ? pg.status() : PgStatus.stopped();
            try {
                pg.beforeStop();
                pg.stop(StopMode.FAST, pg.pgCtlTimeout());
                listener.stopped(before.runningAsPrimary() ? Role.PRIMARY : Role.REPLICA);
            } catch (PostgresException e) {
                LOG.warning("stopping postgres failed: " + e.getMessage());
            }
            publisher.stopped(MemberState.STOPPED);
            try {
                if (wasLeader && before.runningAsPrimary()) {
                    handover.awaitShutdownCheckpoint(null);
                }
                if (store.releaseLeader()) {
                    LOG.info("released the leader key");
                }
                publisher.publishStopped();
            } catch (StoreUnavailableException e) {
                LOG.warning("could not update the cluster store on shutdown: " + e.getMessage());
            }
            pg.close();
            lastSentence = "shut down";
            publisher.shutDown();
        }
    }
}
