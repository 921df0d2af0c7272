package dev.baton.agent.ha;

import dev.baton.agent.backup.BackupProgress;
import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig.ReplicaMethod;
import dev.baton.config.RestoreConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * What the HA loop does with the backup repository on the long-action slot: a new cluster
 * restored from it ({@code bootstrap.method: restore}), and replicas made by the
 * {@code create_replica_methods} in order (the repository's latest backup, then pg_basebackup).
 * Without a repository ({@code backups} null) a replica is made by pg_basebackup alone, as before.
 */
final class RepositoryActions {
    private static final Logger LOG = Logger.getLogger(RepositoryActions.class.getName());

    /** How long a restored server may take to start, recover to its target and promote. */
    static final Duration RECOVERY_TIMEOUT = Duration.ofHours(12);
    /** How often the recovery of a restored server is looked at. */
    static final Duration RECOVERY_POLL = Duration.ofSeconds(1);

    private final BatonConfig config;
    private final ClusterStore store;
    private final PostgresController pg;
    private final BackupRepository backups;
    private final LongActionSlot slot;
    private final LoopContext ctx;
    private final LongSupplier ticker;
    private final Handover.Pause pause;
    private final Runnable stanzaEnsured;

    RepositoryActions(BatonConfig config, ClusterStore store, PostgresController pg, BackupRepository backups,
                      LongActionSlot slot, LoopContext ctx, LongSupplier ticker, Handover.Pause pause,
                      Runnable stanzaEnsured) {
        this.config = config;
        this.store = store;
        this.pg = pg;
        this.backups = backups;
        this.slot = slot;
        this.ctx = ctx;
        this.ticker = ticker;
        this.pause = pause;
        this.stanzaEnsured = stanzaEnsured;
    }

    /** Whether a new cluster is restored from the repository instead of made by initdb. */
    boolean bootstrapsByRestore() {
        return config.bootstrap().method() == dev.baton.config.BootstrapConfig.Method.RESTORE;
    }

    /**
     * The initialize and leader races are won: restore, start, recover to the target, promote (the
     * restore set {@code recovery_target_action=promote}), then write the keys as after initdb. On
     * failure everything is undone as after a failed initdb, so that the bootstrap is retried.
     */
    String bootstrap() {
        RestoreConfig restore = config.bootstrap().restore();
        String scope = restore.fromScope() == null ? config.scope() : restore.fromScope();
        String about = "(scope " + scope + ", target " + restore.describeTarget() + ")";
        DynamicConfig initial = config.bootstrap().dcs();
        slot.submit(LongAction.RESTORE_BOOTSTRAP.on(about), () -> {
            try {
                if (backups == null) {
                    throw new PostgresException("bootstrap.method is restore, but there is no backup section");
                }
                backups.restoreCluster(restore, progress(about + ": restoring"));
                ctx.dataDirChanged();
                pg.configure(false, null, initial);
                slot.progress(LongAction.RESTORE_BOOTSTRAP.on(about + ": recovering"));
                long deadline = ticker.getAsLong() + RECOVERY_TIMEOUT.toNanos();
                pg.start(RECOVERY_TIMEOUT);
                awaitPromoted(about, deadline);
                backups.clearRestoreSettings();
                pg.reload();
                backups.ensureStanza();
                stanzaEnsured.run();
                DataDirInfo info = NewCluster.register(pg, store, ctx, initial);
                LOG.info("new cluster restored from the backup repository " + about + ", system identifier "
                        + info.systemId());
                ctx.listener().started(Role.PRIMARY);
            } catch (RuntimeException e) {
                NewCluster.undo(pg, store, "bootstrap from the backup repository", e);
                throw e;
            }
        });
        return "bootstrapping a new cluster from the backup repository " + about + ": I won the initialize race";
    }

    /** Waits (bounded) until the restored server has left recovery: promoted at its target. */
    private void awaitPromoted(String about, long deadline) {
        while (true) {
            PgStatus s = pg.status();
            if (s.runningAsPrimary()) {
                return;
            }
            if (!pg.isRunning()) {
                throw new PostgresException("postgres stopped while recovering from the backup (see its log; a "
                        + "target the archive does not reach ends recovery with an error)");
            }
            String refused = pg.authenticationFailure();
            if (refused != null) {
                throw new PostgresException("the restored database refuses postgresql.authentication.superuser ("
                        + dev.baton.config.Untrusted.shown(refused, 300) + "): a restored cluster keeps the roles, "
                        + "passwords and pg_hba.conf of the backup; configure the superuser as in the source cluster");
            }
            if (ticker.getAsLong() - deadline > 0) {
                throw new PostgresException("postgres did not finish recovering within " + RECOVERY_TIMEOUT.toHours()
                        + " h");
            }
            String at = s.running() && s.replayedLsn() > 0 ? ": recovering, replayed " + Lsn.format(s.replayedLsn())
                    : ": recovering";
            slot.progress(LongAction.RESTORE_BOOTSTRAP.on(about + at));
            try {
                pause.pause(RECOVERY_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("interrupted while waiting for the recovery", e);
            }
        }
    }

    /** The cycle's sentence for a clone: today's, plus the methods when there is more than pg_basebackup. */
    String cloneSentence(String sentence) {
        List<ReplicaMethod> methods = config.replicaMethods();
        if (methods.equals(List.of(ReplicaMethod.BASEBACKUP))) {
            return sentence;
        }
        return sentence + " (create_replica_methods: " + names(methods) + ")";
    }

    /**
     * The methods that may run, in order: all of them with a source to copy from; without one
     * (the cluster has no leader) only the custom methods marked {@code no_leader}, as in Patroni.
     * A pure function.
     */
    static List<ReplicaMethod> usable(List<ReplicaMethod> methods, boolean haveSource) {
        return haveSource ? methods : methods.stream().filter(RepositoryActions::worksWithoutLeader).toList();
    }

    /** A custom method marked {@code no_leader} (or {@code no_master}). */
    static boolean worksWithoutLeader(ReplicaMethod m) {
        return m.kind() == ReplicaMethod.Kind.CUSTOM && m.noLeader();
    }

    /**
     * Makes this empty data directory a replica's by the configured methods in order: the
     * repository's latest backup (skipped when it has none), pg_basebackup from the source, the
     * user's commands. A method that fails leaves the directory empty (the repository's contract;
     * pg_basebackup's and a command's leftovers are removed) and the next one is tried; when all
     * failed, the last failure is thrown.
     *
     * @param source the member to copy from (the leader or a clonefrom member), or null when the
     *               cluster has no leader (only {@code no_leader} methods run)
     * @return the method that made it, in words for the log
     */
    String createReplica(MemberStatus source) {
        return createReplica(source, usable(config.replicaMethods(), source != null));
    }

    /**
     * A new standby cluster's first member: clones the remote primary {@code remote} by the
     * standby_cluster's {@code create_replica_methods} ({@code names}; empty: basebackup), each name
     * {@code basebackup}, {@code backup} or one of this node's configured methods (others are skipped
     * with a warning), as Patroni's standby leader bootstrap.
     */
    String createStandbyReplica(MemberStatus remote, List<String> names) {
        List<ReplicaMethod> methods = standbyMethods(names, config.replicaMethods());
        if (remote == null) {
            // Without a host only what needs no source can run (a custom method or the backup).
            methods = methods.stream().filter(m -> m.kind() != ReplicaMethod.Kind.BASEBACKUP).toList();
        }
        return createReplica(remote, methods);
    }

    /** The standby_cluster's method names resolved against this node's methods; a pure function. */
    static List<ReplicaMethod> standbyMethods(List<String> names, List<ReplicaMethod> configured) {
        if (names.isEmpty()) {
            return List.of(ReplicaMethod.BASEBACKUP);
        }
        List<ReplicaMethod> out = new java.util.ArrayList<>();
        for (String n : names) {
            if (n.equals("basebackup")) {
                out.add(ReplicaMethod.BASEBACKUP);
            } else if (n.equals("backup")) {
                out.add(ReplicaMethod.BACKUP);
            } else {
                var m = configured.stream().filter(c -> c.name().equals(n)).findFirst();
                if (m.isPresent()) {
                    out.add(m.get());
                } else {
                    LOG.warning("standby_cluster.create_replica_methods names " + n + ", which this node does not "
                            + "configure (postgresql.create_replica_methods): skipped");
                }
            }
        }
        return out;
    }

    private String createReplica(MemberStatus source, List<ReplicaMethod> methods) {
        RuntimeException failure = null;
        for (int i = 0; i < methods.size(); i++) {
            ReplicaMethod m = methods.get(i);
            boolean more = i < methods.size() - 1;
            try {
                switch (m.kind()) {
                    case BACKUP -> {
                        if (backups == null) {
                            LOG.warning("create_replica_methods names backup, but there is no backup section: skipped");
                            continue;
                        }
                        slot.progress(LongAction.CLONE.on("the backup repository"));
                        if (backups.list().isEmpty()) {
                            LOG.info("the backup repository has no backup of this cluster yet: trying the next "
                                    + "create_replica_method");
                            continue;
                        }
                        backups.restoreReplica(progress("the backup repository", LongAction.CLONE));
                        return "restored the latest backup from the backup repository";
                    }
                    case BASEBACKUP -> {
                        slot.progress(LongAction.CLONE.on(source.name()));
                        pg.basebackup(source.host(), source.port());
                        return "pg_basebackup from " + source.name();
                    }
                    case CUSTOM -> {
                        slot.progress(LongAction.CLONE.on(source == null ? "create_replica_method " + m.name()
                                : source.name() + " by " + m.name()));
                        pg.createReplicaByCommand(m, source == null ? null : source.host(),
                                source == null ? 0 : source.port());
                        return "create_replica_method " + m.name() + (source == null ? " without a leader"
                                : " from " + source.name());
                    }
                    default -> throw new IllegalStateException("unknown replica method kind " + m.kind());
                }
            } catch (RuntimeException e) {
                failure = e;
                LOG.warning("creating the replica by " + m.key() + " failed" + (more
                        ? ", trying the next create_replica_method" : "") + ": " + e.getMessage());
                if (m.kind() != ReplicaMethod.Kind.BACKUP && more) {
                    cleanUpAfterBasebackup();
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        throw new PostgresException("no create_replica_method could make the replica ("
                + names(methods.isEmpty() ? config.replicaMethods() : methods) + ")");
    }

    private static String names(List<ReplicaMethod> methods) {
        return String.join(", ", methods.stream().map(ReplicaMethod::key).toList());
    }

    /** A method failed: whatever it left goes, as the next method needs an empty directory. */
    private void cleanUpAfterBasebackup() {
        try {
            if (pg.inspectDataDir().kind() != DataDirInfo.Kind.ABSENT && !pg.isRunning()) {
                pg.removeDataDirectory();
            }
        } catch (RuntimeException e) {
            LOG.warning("could not remove what the failed create_replica_method left: " + e.getMessage());
        }
    }

    private BackupProgress progress(String about) {
        return progress(about, LongAction.RESTORE_BOOTSTRAP);
    }

    /**
     * Progress of a restore shown as the running action's words ("... restoring (45%: 1.2 GiB of
     * 2.6 GiB, 45.0 MiB/s, 32 s left) in progress") and logged every 10 seconds.
     */
    private BackupProgress progress(String about, LongAction action) {
        return dev.baton.agent.backup.ProgressText.logged(ticker, PROGRESS_LOG_EVERY.toNanos(),
                line -> slot.progress(action.on(about + " (" + line + ")")),
                line -> LOG.info(about + ": " + line));
    }

    private static final Duration PROGRESS_LOG_EVERY = Duration.ofSeconds(10);

    /** What a clone shows first: the first method that applies. */
    LongAction.Running cloneStart(MemberStatus source) {
        List<ReplicaMethod> methods = usable(config.replicaMethods(), source != null);
        if (!methods.isEmpty() && methods.get(0).kind() == ReplicaMethod.Kind.BACKUP && backups != null) {
            return LongAction.CLONE.on("the backup repository");
        }
        return source == null ? LongAction.CLONE.on("create_replica_method "
                + (methods.isEmpty() ? "(none)" : methods.get(0).name())) : LongAction.CLONE.on(source.name());
    }

    /**
     * The first method that can make a replica while the cluster has no leader (a custom
     * {@code no_leader} one), or null: then a member without data waits for a leader.
     */
    static ReplicaMethod withoutLeader(List<ReplicaMethod> methods) {
        return usable(methods, false).stream().findFirst().orElse(null);
    }
}
