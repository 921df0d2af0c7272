package dev.baton.agent.postgres;

import dev.baton.config.DynamicConfig;
import java.time.Duration;
import java.util.Set;

/**
 * Drives one local PostgreSQL instance. Every method is blocking and bounded; failures raise
 * {@link PostgresException} except {@link #status()}, which reports a stopped server instead.
 */
public interface PostgresController {

    enum StopMode { FAST, IMMEDIATE }

    /** Where a replica streams from. */
    record Upstream(String host, int port, String slotName, java.util.Map<String, String> recovery) {
        public Upstream {
            recovery = recovery == null ? java.util.Map.of() : java.util.Map.copyOf(new java.util.TreeMap<>(recovery));
        }

        /** A member of this cluster, with no recovery settings of its own. */
        public Upstream(String host, int port, String slotName) {
            this(host, port, slotName, java.util.Map.of());
        }

        /**
         * A standby cluster's remote primary (Patroni's RemoteMember): its host:port (null: WAL from the
         * archive only), primary_slot_name and the standby_cluster's recovery settings.
         */
        public static Upstream remote(dev.baton.config.StandbyCluster s) {
            return new Upstream(s.host(), s.port(), s.primarySlotName(), s.recoverySettings());
        }
    }

    DataDirInfo inspectDataDir();

    /** Whether a postmaster is alive for the data directory (postmaster.pid names a live process). */
    boolean isRunning();

    /** The running server's state; {@link PgStatus#stopped()} when it is down or unreachable. */
    PgStatus status();

    /** initdb with data checksums, the configured superuser, bootstrap.initdb options and pg_hba. */
    void initdb();

    /**
     * Makes the new cluster's data directory by the custom bootstrap method ({@code bootstrap.method:
     * <name>}) and writes the configuration as {@link #configure} does for a primary, keeping the
     * recovery the method asks for (its {@code recovery_conf}, or the signal file it left with
     * {@code keep_existing_recovery_conf}): the first start then recovers and promotes. A failure
     * leaves the (before empty) directory empty.
     */
    default void customBootstrap(DynamicConfig dynamic) {
        throw new PostgresException("custom bootstrap methods are not available here");
    }

    /** After the promotion of a custom bootstrap's recovery: its recovery settings go, then a reload. */
    default void finishCustomBootstrap() {
    }

    /** Runs {@code bootstrap.post_bootstrap} (or {@code post_init}) against the new primary; throws when it fails. */
    default void runPostBootstrap() {
    }

    /** Creates (or updates) the {@code bootstrap.users} on the new primary. */
    default void createBootstrapUsers() {
    }

    /** Clones the data directory from a running primary (pg_basebackup). */
    void basebackup(String host, int port);

    /**
     * Makes the data directory by a custom {@code create_replica_method}'s command (Patroni's
     * custom replica creation), copying from {@code host:port}, or from nowhere when
     * {@code host} is null (a {@code no_leader} method). Leaves an empty directory when it fails.
     */
    void createReplicaByCommand(dev.baton.config.PostgresConfig.ReplicaMethod method, String host, int port);

    /**
     * Writes the configuration Baton manages: postgresql.conf with the merged parameters and, for a
     * replica, primary_conninfo, primary_slot_name and standby.signal ({@code upstream} may be null:
     * a read-only standby that follows no one yet).
     */
    void configure(boolean replica, Upstream upstream, DynamicConfig dynamic);

    /** What {@link #configure} last wrote as primary_conninfo's host:port, or null. */
    String configuredUpstream();

    void start(Duration timeout);

    void stop(StopMode mode, Duration timeout);

    void promote(Duration timeout);

    void reload();

    void checkpoint();

    /**
     * Sets synchronous_standby_names (ALTER SYSTEM, then a reload; works on a standby too);
     * {@code null} resets it to what postgresql.conf says.
     */
    void setSynchronousStandbyNames(String value);

    /**
     * As {@link #setSynchronousStandbyNames}, but without the ALTER SYSTEM and the reload when
     * postgres already runs with exactly this value ({@code null}: empty). A promotion calls it just
     * before {@code pg_ctl promote}: a reload at that moment makes a standby's startup process start
     * another WAL receiver towards the dead primary and sleep out wal_retrieve_retry_interval before
     * it notices the promotion (docs/performance.md, Footprint).
     */
    default void ensureSynchronousStandbyNames(String value) {
        setSynchronousStandbyNames(value);
    }

    /** Creates or updates the replication role from the config. */
    void ensureReplicationRole();

    Set<String> physicalSlots();

    void createPhysicalSlot(String name);

    void dropPhysicalSlot(String name);

    /** Every (non-temporary) replication slot, physical and logical. */
    default java.util.List<ReplicationSlot> replicationSlots() {
        return physicalSlots().stream().sorted().map(ReplicationSlot::physical).toList();
    }

    /**
     * Creates a logical slot in {@code database} with output {@code plugin} unless a slot of that
     * name exists (both values are untrusted: passed as bind parameters and in the connection).
     */
    default void createLogicalSlot(String name, String database, String plugin) {
        throw new PostgresException("logical replication slots are not supported here", null);
    }

    /**
     * Every (non-temporary) replication slot with its position: a logical slot's
     * confirmed_flush_lsn, a physical slot's restart_lsn.
     */
    default java.util.List<SlotPosition> slotPositions() {
        return replicationSlots().stream().map(s -> new SlotPosition(s, 0, false)).toList();
    }

    /**
     * pg_replication_slot_advance({@code name}, {@code lsn}) on this server (a logical slot over a
     * connection to its {@code database}; null for a physical slot). On a standby PostgreSQL moves
     * it no further than what it replayed.
     */
    default void advanceSlot(String name, String database, long lsn) {
        throw new PostgresException("advancing replication slots is not supported here", null);
    }

    /**
     * The slot's state file ({@code pg_replslot/<name>/state}) as the primary at {@code host:port}
     * has it, read with pg_read_binary_file as the rewind user (Patroni's copy of logical slots).
     */
    default byte[] readSlotState(String host, int port, String name) {
        throw new PostgresException("copying replication slots is not supported here", null);
    }

    /**
     * The first position of the oldest WAL segment in this server's pg_wal (0: unknown). A copied
     * slot whose restart_lsn is older needs WAL this server does not have.
     */
    default long oldestWalLsn() {
        return 0;
    }

    /**
     * Writes a slot's state file (from {@link #readSlotState}) into this data directory, to be loaded at
     * the next start; postgres must be stopped.
     */
    default void installSlotState(String name, byte[] state) {
        throw new PostgresException("copying replication slots is not supported here", null);
    }

    /**
     * What pg_rewind would do against the given primary (a dry run; a stopped, crashed directory
     * first gets single-user crash recovery, as pg_rewind needs a clean shutdown).
     *
     * @param needed        whether the directory diverged and must be rewound
     * @param divergenceLsn where this directory's history left the primary's (0 if unknown)
     * @param timeline      the timeline on which it diverged (0 if unknown)
     * @param output        pg_rewind's own words
     */
    record RewindCheck(boolean needed, long divergenceLsn, int timeline, String output) {
    }

    RewindCheck checkRewind(String host, int port);

    /** The end of the WAL this (stopped) data directory holds, as far as pg_waldump can read it; 0 if unknown. */
    long localWalEnd();

    /**
     * Copies the WAL segments of {@code timeline} from the one holding {@code fromLsn} on into a
     * new folder beside the data directory, before a rewind discards them. Returns the folder.
     */
    java.nio.file.Path keepWal(int timeline, long fromLsn);

    /** Rewinds this (stopped) data directory to follow the given primary. */
    void rewind(String host, int port);

    /** The content of the running server's timeline history file for {@code timeline}, or null. */
    String timelineHistory(int timeline);

    /** Removes the data directory entirely (only for an explicit re-clone). */
    void removeDataDirectory();

    /**
     * Loads what a promotion's fence needs, once, in the background when the agent starts: the
     * first failover then does not pay for it while the cluster has no primary. Sends nothing to
     * any server; never throws.
     */
    default void warmUpFence() {
    }

    /**
     * Fences a former primary at {@code host:port} over a PostgreSQL connection (fence before
     * promote): afterwards it acknowledges no commit, also to clients already connected, and the
     * result carries its WAL flush position. Bounded by {@code budget}; never throws.
     */
    default FenceResult fencePrimary(String host, int port, java.time.Duration budget) {
        return FenceResult.of(FenceResult.Outcome.UNREACHABLE, "fencing over SQL is not available");
    }

    /**
     * True when this data directory carries the fence another member put on it while this node
     * was the primary (in postgresql.auto.conf); {@link #configure} removes it.
     */
    default boolean fenced() {
        return false;
    }

    /**
     * Grants the role a candidate fences with (the rewind user, {@code authentication.rewind}) what
     * fencing needs, when it exists and is not a superuser; idempotent. Run by a new primary, so
     * that clusters bootstrapped before fencing existed get the grants too.
     */
    default void ensureFenceGrants() {
    }

    /**
     * Why the last {@link #status()} could not log in to a running server (SQLSTATE class 28 and
     * the server's words: a wrong password, an unknown role, no pg_hba line), or null.
     */
    default String authenticationFailure() {
        return null;
    }

    /** {@code pg_stat_archiver} of the running server; null when it is down or not readable. */
    default ArchiverStats archiver() {
        return null;
    }

    /**
     * How long pg_ctl start, stop and restart may take unless a caller says otherwise
     * ({@code postgresql.pg_ctl_timeout}, 60 s by default).
     */
    default Duration pgCtlTimeout() {
        return Duration.ofSeconds(dev.baton.config.PostgresControl.DEFAULT_PG_CTL_TIMEOUT);
    }

    /**
     * Runs {@code postgresql.before_stop}, if configured and postgres runs, before a planned stop
     * (shutdown, restart, switchover, rewind, reinitialize; not the stops that fence). Bounded by
     * {@link #pgCtlTimeout()}; its failure is logged and does not prevent the stop (Patroni).
     */
    default void beforeStop() {
    }

    /**
     * Runs {@code postgresql.pre_promote}, if configured: Patroni's fencing hook, after this node
     * won the leader key and before it promotes. Returns null when it succeeded (or none is
     * configured), else why it failed: a non-zero exit or no exit within {@link #pgCtlTimeout()};
     * the caller then does not promote.
     */
    default String prePromote() {
        return null;
    }

    /** Whether {@code postgresql.pre_promote} is configured. */
    default boolean hasPrePromote() {
        return false;
    }

    /** Closes any cached connection. */
    void close();
}
