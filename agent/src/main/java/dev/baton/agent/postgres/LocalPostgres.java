package dev.baton.agent.postgres;

import dev.baton.agent.backup.PgBackRestConf;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapUser;
import dev.baton.config.CustomBootstrapMethod;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The PostgreSQL controller for an instance on this machine: a facade over small parts cut along
 * Patroni's {@code postgresql/} seams. The real binaries run through a {@link ProcessRunner}, the
 * server is queried over JDBC as the configured superuser.
 * <ul>
 *   <li>{@link Postmaster}: whether a postmaster runs (postmaster.pid);</li>
 *   <li>{@link DataDirInspector}: what is on disk (pg_controldata);</li>
 *   <li>{@link PgConfFiles}: postgresql.conf, pg_hba.conf, standby.signal and the pgpass file,
 *       rendered by the pure {@link PgConfRenderer} and {@link PgParameters};</li>
 *   <li>{@link PgCtl}: start, stop, promote, reload;</li>
 *   <li>{@link PgQueries}: status, slots, synchronous_standby_names, the replication role;</li>
 *   <li>{@link Bootstrapper}: initdb and pg_basebackup;</li>
 *   <li>{@link CustomBootstrap}: a new cluster made by a custom bootstrap method's command, and
 *       {@link PostBootstrap}: the post_bootstrap script;</li>
 *   <li>{@link ReplicaCommand}: the custom create_replica_methods;</li>
 *   <li>{@link Rewinder}: crash recovery, pg_rewind and the WAL it discards;</li>
 *   <li>{@link PgFence}: fencing a former primary over SQL, whose mark ({@link FenceMark}) a
 *       rejoin removes.</li>
 * </ul>
 *
 * <p>Baton owns {@code postgresql.conf}: the file initdb wrote is kept as
 * {@code postgresql.base.conf} and included first. Passwords never appear in argv: programs get
 * them from the pgpass file and initdb from a temporary pwfile.
 */
public final class LocalPostgres implements PostgresController {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(LocalPostgres.class.getName());
    private final BatonConfig config;
    private final Path dataDir;
    private final Postmaster postmaster;
    private final DataDirInspector inspector;
    private final PgConfFiles files;
    private final PgCtl pgCtl;
    private final PgQueries queries;
    private final Bootstrapper bootstrapper;
    private final ReplicaCommand replicaCommand;
    private final Rewinder rewinder;
    private final HookCommand prePromote;
    private final HookCommand beforeStop;
    private final CustomBootstrap customBootstrap;
    private final PostBootstrap postBootstrap;
    private volatile String configuredUpstream;

    public LocalPostgres(BatonConfig config, PgBinaries bin, ProcessRunner runner) {
        this(config, bin, runner, PgQueries.jdbc(config), database -> PgQueries.jdbc(config, database),
                Clock.systemDefaultZone());
    }

    LocalPostgres(BatonConfig config, PgBinaries bin, ProcessRunner runner, PgQueries.Connector connector, Clock clock) {
        this(config, bin, runner, connector, database -> connector, clock);
    }

    private LocalPostgres(BatonConfig config, PgBinaries bin, ProcessRunner runner, PgQueries.Connector connector,
                          java.util.function.Function<String, PgQueries.Connector> databases, Clock clock) {
        this.config = config;
        this.dataDir = config.postgresql().dataDir().toAbsolutePath().normalize();
        this.postmaster = new Postmaster(dataDir);
        this.inspector = new DataDirInspector(bin, runner, dataDir);
        this.files = new PgConfFiles(config, dataDir, new PgCatalogCache(bin, runner));
        this.pgCtl = new PgCtl(bin, runner, dataDir, logFile(), postmaster::isRunning);
        this.queries = new PgQueries(connector, databases);
        this.bootstrapper = new Bootstrapper(config, bin, runner, dataDir, inspector, files);
        this.customBootstrap = new CustomBootstrap(config, runner, dataDir, inspector, files);
        this.postBootstrap = new PostBootstrap(config, runner, files);
        this.replicaCommand = new ReplicaCommand(config, runner, dataDir, inspector, files);
        this.rewinder = new Rewinder(bin, runner, dataDir, config.postgresql().authentication().rewindUser(),
                postmaster, inspector, files, clock);
        var control = config.postgresql().control();
        this.prePromote = HookCommand.of("pre_promote", control.prePromote(), runner, control.pgCtlDuration());
        this.beforeStop = HookCommand.of("before_stop", control.beforeStop(), runner, control.pgCtlDuration());
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The server log, beside the data directory so that pg_basebackup does not copy it. */
    public Path logFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    @Override
    public DataDirInfo inspectDataDir() {
        return inspector.inspect();
    }

    @Override
    public boolean isRunning() {
        return postmaster.isRunning();
    }

    @Override
    public PgStatus status() {
        if (!isRunning()) {
            queries.close();
            return PgStatus.stopped();
        }
        return queries.status();
    }

    @Override
    public String authenticationFailure() {
        return queries.authenticationFailure();
    }

    @Override
    public void initdb() {
        bootstrapper.initdb();
    }

    @Override
    public void customBootstrap(DynamicConfig dynamic) {
        CustomBootstrapMethod method = customMethod();
        customBootstrap.make(method, dynamic, () -> configure(false, null, dynamic));
    }

    @Override
    public void finishCustomBootstrap() {
        customBootstrap.finishRecovery(customMethod());
        if (isRunning()) {
            reload();
        }
    }

    private CustomBootstrapMethod customMethod() {
        CustomBootstrapMethod method = config.bootstrap().custom();
        if (method == null) {
            throw new PostgresException("bootstrap.method names no custom bootstrap method");
        }
        return method;
    }

    @Override
    public void runPostBootstrap() {
        postBootstrap.run();
    }

    /**
     * Each of {@code bootstrap.users}, except a name of the superuser, replication or rewind role
     * (Baton manages those; Patroni skipped them too), created or updated.
     */
    @Override
    public void createBootstrapUsers() {
        var auth = config.postgresql().authentication();
        // The rewind user is the superuser when none is configured: not Set.of, which refuses duplicates.
        Set<String> managed = new java.util.HashSet<>(java.util.List.of(auth.superuser().username(),
                auth.replication().username(), auth.rewindUser().username()));
        for (BootstrapUser user : config.bootstrap().users().values()) {
            if (managed.contains(user.name())) {
                LOG.warning("bootstrap.users." + user.name() + " skipped: it is a role Baton manages "
                        + "(postgresql.authentication)");
                continue;
            }
            queries.ensureBootstrapUser(user);
            LOG.info("bootstrap user " + user.name() + " created with " + (user.options().isEmpty() ? "no options"
                    : String.join(", ", user.options())) + (user.password() == null ? ", without a password" : ""));
        }
    }

    @Override
    public void basebackup(String host, int port) {
        bootstrapper.basebackup(host, port);
    }

    @Override
    public void createReplicaByCommand(dev.baton.config.PostgresConfig.ReplicaMethod method, String host, int port) {
        replicaCommand.run(method, host, port);
    }

    @Override
    public void configure(boolean replica, Upstream upstream, DynamicConfig dynamic) {
        if (!postmaster.isRunning()) {
            // Before a start (a rejoin by rewind or re-clone, or a restart): the fence another
            // member put on this directory goes. A running server keeps it: a reload would drop it.
            files.unfence();
        }
        files.configure(replica, upstream, dynamic);
        configuredUpstream = replica && upstream != null && upstream.host() != null ? upstream.host() + ":" + upstream.port() : null;
    }

    /**
     * Writes postgresql.parameters and pg_hba from {@code current} from now on (the local
     * configuration reload); everything else stays as the agent started with.
     */
    public void follow(java.util.function.Supplier<BatonConfig> current) {
        files.follow(current);
    }

    @Override
    public String configuredUpstream() {
        return configuredUpstream;
    }

    @Override
    public void start(Duration timeout) {
        postmaster.clearStalePidFile();
        files.writePgpass();
        if (config.backup() != null || config.postgresql().control().useUnixSocket()) {
            createSocketDir();
        }
        pgCtl.start(timeout);
    }

    /**
     * With a backup repository or {@code use_unix_socket} the server listens on a Unix socket in a
     * private directory (0700).
     */
    private void createSocketDir() {
        Path dir = PgBackRestConf.socketDir(config);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new PostgresException("cannot create the socket directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The pgpass file Baton writes for this node: {@code postgresql.pgpass}, else
     * {@code .<data dir name>.pgpass} beside the data directory. pgBackRest gets it as {@code PGPASSFILE}.
     */
    public static Path pgpassFile(BatonConfig config) {
        return PgConfFiles.pgpass(config, config.postgresql().dataDir().toAbsolutePath().normalize());
    }

    @Override
    public ArchiverStats archiver() {
        if (!isRunning()) {
            return null;
        }
        return queries.archiver();
    }

    @Override
    public void stop(StopMode mode, Duration timeout) {
        queries.close();
        pgCtl.stop(mode, timeout);
    }

    @Override
    public Duration pgCtlTimeout() {
        return config.postgresql().control().pgCtlDuration();
    }

    @Override
    public void beforeStop() {
        if (beforeStop != null && postmaster.isRunning()) {
            beforeStop.run(); // logged; a failure does not prevent the stop
        }
    }

    @Override
    public boolean hasPrePromote() {
        return prePromote != null;
    }

    @Override
    public String prePromote() {
        return prePromote == null ? null : prePromote.run();
    }

    /** How often a promotion asks the server whether it left recovery. */
    static final Duration PROMOTE_POLL = Duration.ofMillis(10);

    /** How long a promotion lets the startup process sleep with the request pending before it signals again. */
    static final Duration PROMOTE_RESIGNAL = Duration.ofMillis(50);

    /**
     * Signals the promotion with {@code pg_promote(false)} over the agent's open connection (no
     * process to start; {@code pg_ctl promote -W} when the server does not take it and is still in
     * recovery) and asks {@code pg_is_in_recovery()} every {@link #PROMOTE_POLL} until it is false:
     * the node opens for writes the moment the server does, where {@code pg_promote(true)} and
     * {@code pg_ctl promote -w} look only every 100 ms. A startup process that took the request
     * while a WAL receiver towards the dead primary was starting sleeps out
     * {@code wal_retrieve_retry_interval} before it acts on it; seen in that sleep, it is signalled
     * again, which wakes it (a promote signal file left by a second signal is removed by the
     * postmaster's next start). A server that stops meanwhile, or is still in recovery after
     * {@code timeout}, fails the promotion.
     */
    @Override
    public void promote(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long signalled = System.nanoTime();
        if (!queries.signalPromote()) {
            if (queries.recovery() == PgQueries.Recovery.DONE) {
                return;
            }
            pgCtl.signalPromote();
        }
        while (true) {
            PgQueries.Recovery r = queries.recovery();
            if (r == PgQueries.Recovery.DONE) {
                return;
            }
            if (r == PgQueries.Recovery.RETRY_SLEEP && System.nanoTime() - signalled >= PROMOTE_RESIGNAL.toNanos()) {
                // Not at once: a startup process asleep when the first signal came is still waking.
                signalled = System.nanoTime();
                LOG.info("the startup process sleeps out wal_retrieve_retry_interval with the promotion pending: "
                        + "signalling it again");
                queries.signalPromote();
            }
            if (!isRunning()) {
                throw new PostgresException("postgres stopped while it was being promoted (log " + logFile() + ")");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new PostgresException("postgres was still in recovery " + timeout.toSeconds()
                        + " s after pg_ctl promote (log " + logFile() + ")");
            }
            try {
                Thread.sleep(PROMOTE_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("promotion interrupted while waiting for the end of recovery", e);
            }
        }
    }

    @Override
    public void reload() {
        pgCtl.reload();
    }

    @Override
    public void checkpoint() {
        queries.checkpoint();
    }

    @Override
    public void ensureSynchronousStandbyNames(String value) {
        if (!files.fenced() && (value == null ? "" : value).equals(queries.synchronousStandbyNames())) {
            return;
        }
        setSynchronousStandbyNames(value);
    }

    @Override
    public void setSynchronousStandbyNames(String value) {
        if (files.fenced()) {
            throw new PostgresException("refusing to set synchronous_standby_names: another member fenced this "
                    + "data directory (postgresql.auto.conf) while it was a primary; only a rejoin (rewind or "
                    + "re-clone) and a restart undo the fence");
        }
        queries.setSynchronousStandbyNames(value);
    }

    @Override
    public void ensureReplicationRole() {
        var auth = config.postgresql().authentication();
        queries.ensureReplicationRole(auth.replication());
        if (auth.rewind() != null && !auth.rewind().username().equals(auth.superuser().username())) {
            queries.ensureRewindRole(auth.rewind());
        }
    }

    @Override
    public void warmUpFence() {
        try {
            PgFence.warmUp();
        } catch (RuntimeException e) {
            LOG.fine("fence warm-up: " + e);
        }
    }

    @Override
    public FenceResult fencePrimary(String host, int port, Duration budget) {
        return new PgFence(config.postgresql().authentication().rewindUser()).fence(host, port, budget);
    }

    @Override
    public boolean fenced() {
        return files.fenced();
    }

    @Override
    public void ensureFenceGrants() {
        var auth = config.postgresql().authentication();
        if (auth.rewind() != null && !auth.rewind().username().equals(auth.superuser().username())) {
            queries.ensureFenceGrants(auth.rewind().username());
        }
    }

    @Override
    public Set<String> physicalSlots() {
        return queries.physicalSlots();
    }

    @Override
    public void createPhysicalSlot(String name) {
        queries.createPhysicalSlot(name);
    }

    @Override
    public void dropPhysicalSlot(String name) {
        queries.dropPhysicalSlot(name);
    }

    @Override
    public List<ReplicationSlot> replicationSlots() {
        return queries.replicationSlots();
    }

    @Override
    public void createLogicalSlot(String name, String database, String plugin) {
        queries.createLogicalSlot(name, database, plugin);
    }

    @Override
    public List<SlotPosition> slotPositions() {
        return queries.slotPositions();
    }

    @Override
    public long oldestWalLsn() {
        return queries.oldestWalLsn();
    }

    @Override
    public void advanceSlot(String name, String database, long lsn) {
        queries.advanceSlot(name, database, lsn);
    }

    @Override
    public byte[] readSlotState(String host, int port, String name) {
        try (java.sql.Connection c = PgFence.jdbc(config.postgresql().authentication().rewindUser())
                .connect(host, port, Duration.ofSeconds(3), Duration.ofSeconds(5))) {
            return PgQueries.readSlotState(c, name);
        } catch (java.sql.SQLException e) {
            throw new PostgresException("cannot read the state of replication slot " + name + " on " + host + ":"
                    + port + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void installSlotState(String name, byte[] state) {
        SlotStateFile.install(dataDir, name, state);
    }

    @Override
    public RewindCheck checkRewind(String host, int port) {
        return rewinder.checkRewind(host, port);
    }

    @Override
    public long localWalEnd() {
        return rewinder.localWalEnd();
    }

    @Override
    public Path keepWal(int timeline, long fromLsn) {
        return rewinder.keepWal(timeline, fromLsn);
    }

    @Override
    public void rewind(String host, int port) {
        rewinder.rewind(host, port);
    }

    @Override
    public String timelineHistory(int timeline) {
        return queries.timelineHistory(timeline);
    }

    @Override
    public void removeDataDirectory() {
        if (isRunning()) {
            throw new PostgresException("refusing to remove " + dataDir + " while PostgreSQL runs");
        }
        bootstrapper.wipe();
    }

    @Override
    public void close() {
        queries.close();
    }
}
