package dev.baton.agent;

import dev.baton.agent.api.AgentActions;
import dev.baton.agent.api.BackupAction;
import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.api.RestApi;
import dev.baton.agent.api.RestLimits;
import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.ha.HaListener;
import dev.baton.agent.ha.HaLoop;
import dev.baton.agent.client.HttpPeerClient;
import dev.baton.agent.metrics.AgentMetrics;
import dev.baton.agent.metrics.InstrumentedClusterStore;
import dev.baton.agent.postgres.LocalPostgres;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.BatonConfig;
import dev.baton.leader.model.Role;
import dev.baton.leader.ClusterStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * One Baton agent: the HA loop, the PostgreSQL controller and the REST API, wired together.
 * The cluster store is passed in so that the composition root decides which one (etcd in
 * production).
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());

    /** Exit codes of {@code baton agent}. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;

    private final HaLoop loop;
    private final RestApi api;
    private final ClusterStore store;
    /** Replaced when a local reload changes postgresql.callbacks (the old one finishes its runs). */
    private volatile CallbackRunner callbacks;
    private final LocalPostgres pg;
    /** POST /reload's and SIGHUP's: the local configuration, the TLS files, then postgres. */
    private final AgentActions.Operator operator;
    /** The local configuration reload; null until {@link #enableLocalReload}. */
    private volatile LocalReload localReload;
    private final dev.baton.agent.watchdog.ProcessWatchdog watchdog;
    private final AgentMetrics metrics;
    /** Takes backups on baton-backup; null without a backup repository. */
    private final BackupRunner backupRunner;
    private final Listeners listeners = new Listeners();

    /** Fans the loop's events out to every interested party (callbacks, metrics, routing). */
    static final class Listeners implements HaListener {
        private final List<HaListener> all = new CopyOnWriteArrayList<>();

        void add(HaListener l) {
            all.add(l);
        }

        @Override
        public void started(Role role) {
            all.forEach(l -> l.started(role));
        }

        @Override
        public void stopped(Role role) {
            all.forEach(l -> l.stopped(role));
        }

        @Override
        public void roleChanged(Role newRole) {
            all.forEach(l -> l.roleChanged(newRole));
        }

        @Override
        public void cycleFinished(long nanos, String sentence) {
            all.forEach(l -> l.cycleFinished(nanos, sentence));
        }

        @Override
        public void fenced() {
            all.forEach(HaListener::fenced);
        }

        @Override
        public void reloaded(Role role) {
            all.forEach(l -> l.reloaded(role));
        }

        @Override
        public void stoppedForRestart(Role role) {
            all.forEach(l -> l.stoppedForRestart(role));
        }

        @Override
        public void restarted(Role role) {
            all.forEach(l -> l.restarted(role));
        }

        @Override
        public void fencedBeforePromotion(String outcome) {
            all.forEach(l -> l.fencedBeforePromotion(outcome));
        }
    }

    /** Adds a listener for the loop's events (before {@link #start()}). */
    public void addListener(HaListener listener) {
        listeners.add(listener);
    }

    /**
     * Routes a load balancer to this member while it is the primary (before {@link #start()}).
     * The agent feeds the loop's role changes to it and closes it after the loop on shutdown, so
     * that a member shutting down can still take itself out of the load balancer.
     */
    public void setRouter(dev.baton.agent.routing.LoadBalancerRouter router) {
        this.router = java.util.Objects.requireNonNull(router, "router");
        listeners.add(new dev.baton.agent.routing.RoutingListener(router, loop::state, ticker));
    }

    /** The agent's metrics registry (served on /metrics), to instrument plugged-in parts. */
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** The REST API, to plug in actions or metrics before {@link #start()}. */
    public RestApi api() {
        return api;
    }
    private final LongSupplier ticker;
    private volatile dev.baton.agent.routing.LoadBalancerRouter router = dev.baton.agent.routing.LoadBalancerRouter.NONE;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    public Agent(BatonConfig config, ClusterStore store, String version) throws IOException {
        this(config, store, version, System::nanoTime, null);
    }

    /** With the backup repository ({@code backups} null: none; {@code config.backup()} null needs null). */
    public Agent(BatonConfig config, ClusterStore store, String version, BackupRepository backups) throws IOException {
        this(config, store, version, System::nanoTime, backups);
    }

    public Agent(BatonConfig config, ClusterStore store, String version, LongSupplier ticker) throws IOException {
        this(config, store, version, ticker, null);
    }

    /**
     * @throws IllegalArgumentException naming every {@link AgentPreflight} problem (the agent exits 2)
     * @throws IOException the REST API cannot listen on restapi.listen
     */
    public Agent(BatonConfig config, ClusterStore store, String version, LongSupplier ticker, BackupRepository backups)
            throws IOException {
        // First, every start-time check at once (the ones --validate-config runs): IllegalArgumentException, exit 2.
        AgentPreflight.requireNoProblems(config, AgentPreflight.Host.system());
        this.ticker = ticker;
        this.watchdog = dev.baton.agent.watchdog.WatchdogSetup.forAgent(config, ticker);
        this.metrics = new AgentMetrics(config.scope(), config.name(), version, ticker, Clock.systemUTC());
        // Everything below talks to etcd through the instrumented store (latency and errors by operation).
        store = new InstrumentedClusterStore(store, metrics.registry(), config.scope(), config.name());
        this.store = store;
        PgBinaries bin = PgBinaries.locate(config.postgresql().binDir());
        LocalPostgres pg = new LocalPostgres(config, bin, new SystemProcessRunner());
        this.pg = pg;
        HttpPeerClient peers;
        try {
            peers = dev.baton.agent.client.PeerClients.create(config);
        } catch (dev.baton.agent.client.ClientSetupException e) {
            throw new IllegalArgumentException(e.getMessage(), e); // preflight read the same files: a race
        }
        HttpPeerClient peerClient = peers;
        // Backups run on their own thread (baton-backup), never on the loop or its long-action slot.
        this.backupRunner = backups == null ? null : BackupRunner.onOwnThread(backups, Clock.systemUTC());
        this.loop = new HaLoop(config, store, pg, peerClient, ticker, Clock.systemUTC(), version, backups, backupRunner);
        this.callbacks = new CallbackRunner(config.postgresql().callbacks(), config.scope(), Duration.ofSeconds(60),
                new SystemProcessRunner());
        this.appliedCallbacks = config.postgresql().callbacks();
        listeners.add(new HaListener() {
            @Override
            public void started(Role role) {
                callbacks.fire(CallbackRunner.Action.ON_START, role.wire());
            }

            @Override
            public void stopped(Role role) {
                callbacks.fire(CallbackRunner.Action.ON_STOP, role.wire());
            }

            @Override
            public void roleChanged(Role newRole) {
                callbacks.fire(CallbackRunner.Action.ON_ROLE_CHANGE, newRole.wire());
            }

            @Override
            public void stoppedForRestart(Role role) {
                // Patroni calls neither on_stop nor on_start for a restart, only on_restart.
            }

            @Override
            public void restarted(Role role) {
                callbacks.fire(CallbackRunner.Action.ON_RESTART, role.wire());
            }

            @Override
            public void reloaded(Role role) {
                callbacks.fire(CallbackRunner.Action.ON_RELOAD, role.wire());
            }
        });
        listeners.add(metrics);
        metrics.watch(loop::state);
        metrics.watchFailsafe(loop.failsafe()::activeAsLeader);
        metrics.watchBackups(backupRunner, backupRunner == null ? null : pg::archiver);
        loop.setListener(listeners);
        loop.setWatchdog(watchdog);
        Duration takeoverWait = Duration.ofSeconds(Math.max(30, 3L * config.bootstrap().dcs().ttl()));
        // The longest a REST action waits: a switchover for its new leader, or restart/reinitialize (120 s).
        Duration longestWait = takeoverWait.compareTo(Duration.ofSeconds(120)) > 0
                ? takeoverWait : Duration.ofSeconds(120);
        this.api = new RestApi(config.restapi(), loop::state, ticker, version, config.bootstrap().dcs().ttl(),
                RestLimits.forActionsWaiting(longestWait));
        api.setMetrics(metrics);
        BackupAction backupAction = backupRunner == null ? BackupAction.none()
                : new BackupAction(backupRunner, loop::state, ticker, config.backup().server() != null);
        api.setBackups(backupAction);
        loop.onFatal(reason -> exit.complete(EXIT_BAD_INPUT));
        api.setLiveStatus(pg::status);
        api.setFailsafe(new dev.baton.agent.api.FailsafeAction(loop.failsafe(), loop::state, ticker),
                loop.failsafe()::activeAsLeader);
        // POST /reload (and baton reload, and SIGHUP) first re-reads the local configuration (a file
        // that does not validate: an error, nothing changes), then the REST API's and etcd's TLS
        // files (certificate rotation), then reloads postgres.
        AgentActions.Operator operator = AgentActions.Operator.reloading(AgentActions.Operator.of(loop.operatorActions()),
                () -> {
                    LocalReload reload = localReload;
                    if (reload != null) {
                        LocalReload.Outcome o = reload.reload();
                        if (!o.ok()) {
                            return new dev.baton.agent.ha.OperatorPolicy.Result(500, o.message());
                        }
                        this.store.wakeUp(); // the next cycle publishes changed tags
                    }
                    api.reloadTls();
                    peerClient.reload(); // the client certificate this agent presents to its peers
                    this.store.reconnect(); // the etcd client certificate, re-read by the next call
                    return null;
                });
        this.operator = operator;
        api.setActions(new AgentActions(operator, store, ticker, config.bootstrap().dcs(), takeoverWait,
                new dev.baton.agent.api.FenceAction(config.name(), dev.baton.agent.api.FenceAction.Postgres.of(pg),
                        loop::state, ticker), backupAction));
    }

    /**
     * Turns on the local configuration reload (before {@link #start()}): SIGHUP and
     * {@code POST /reload} re-read the configuration through {@code reload}, and the HA loop and
     * the postgres configuration follow its {@link LocalReload#current()} (which must start with
     * the configuration this agent was built with).
     */
    public void enableLocalReload(LocalReload reload) {
        this.localReload = java.util.Objects.requireNonNull(reload, "reload");
        loop.follow(reload.current());
        pg.follow(reload.current());
        reload.onApplied(this::applied);
    }

    /** What the agent itself follows of a reloaded configuration: the log level and the callbacks. */
    private void applied(BatonConfig now) {
        if (now.log() != null && now.log().level() != null) {
            dev.baton.agent.logging.Logging.setLevel(now.log().level());
        }
        api.reloadAccess(now.restapi());
        CallbackRunner old = callbacks;
        if (!java.util.Objects.equals(now.postgresql().callbacks(), appliedCallbacks)) {
            callbacks = new CallbackRunner(now.postgresql().callbacks(), now.scope(), Duration.ofSeconds(60),
                    new SystemProcessRunner());
            appliedCallbacks = now.postgresql().callbacks();
            // The old runner lets its running callbacks finish (close waits for them), off this thread.
            Thread t = new Thread(old::close, "baton-callbacks-close");
            t.setDaemon(true);
            t.start();
        }
    }

    private volatile dev.baton.config.Callbacks appliedCallbacks;

    /**
     * The local configuration reload, TLS files and postgres reload that SIGHUP asks for (the same
     * as {@code POST /reload}); logs and returns the outcome.
     */
    public dev.baton.agent.ha.OperatorPolicy.Result reloadOnSignal() {
        LOG.info("SIGHUP: reloading the configuration");
        dev.baton.agent.ha.OperatorPolicy.Result r = operator.reload();
        if (r.status() >= 300) {
            LOG.warning("SIGHUP reload: " + r.message());
        }
        return r;
    }

    public void start() {
        api.start();
        loop.start();
        LOG.info("agent started");
    }

    public HaLoop loop() {
        return loop;
    }

    /** Blocks until the agent stops: 0 after a requested shutdown, non-zero after a fatal refusal. */
    public int awaitExit() {
        try {
            return exit.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_FAILED;
        } catch (ExecutionException e) {
            return EXIT_FAILED;
        }
    }

    /** Clean shutdown: stops postgres, releases the leader key, stops the API. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            loop.close();
        } finally {
            api.close();
            router.close();
            if (backupRunner != null) {
                backupRunner.close();
            }
            store.close();
            callbacks.close();
            watchdog.close();
            exit.complete(EXIT_OK);
        }
    }
}
