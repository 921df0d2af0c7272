package dev.baton.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code postgresql}: the local PostgreSQL instance. A null {@code connectAddress} is derived from
 * {@code listen} as for the REST API. {@code binDir} null means "find the binaries"; {@code pgpass}
 * is never null when loaded (default {@code <data_dir>/../.pgpass_<name>}). {@code pgHba} empty
 * means pg_hba.conf is not managed after bootstrap. {@code usePgRewind} null means "use the
 * dynamic config's value". {@code createReplicaMethods} empty means "not given": see
 * {@link BatonConfig#replicaMethods()}. {@code basebackupArgs} are {@code postgresql.basebackup}'s
 * options as pg_basebackup arguments ({@code --max-rate=100M}); {@code recoveryConf} holds
 * {@code postgresql.recovery_conf}'s settings, written for a replica beside primary_conninfo.
 * {@code control}: the hooks, pg_ctl's timeout and the Unix-socket keys (never null).
 */
public record PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
        Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
        boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind, List<ReplicaMethod> createReplicaMethods,
        List<String> basebackupArgs, Map<String, String> recoveryConf, PostgresControl control)
        implements ServerAddresses {

    /**
     * One of {@code create_replica_methods} (Patroni's key): how a new or re-initialised replica
     * gets its data directory; the methods are tried in order until one succeeds.
     *
     * @param name     the spelling in the list (for a custom method, also its section's key)
     * @param command  a custom method's command line (split like a shell's words, never run by one);
     *                 null for the built-in methods
     * @param noLeader a custom method that can run while the cluster has no leader
     *                 ({@code no_leader}, Patroni 3's {@code no_master})
     * @param keepData the data directory is not emptied before the command runs
     * @param noParams the command gets none of Patroni's arguments (only the options)
     * @param options  the section's other keys, passed as {@code --key=value} in this order
     */
    public record ReplicaMethod(String name, Kind kind, String command, boolean noLeader, boolean keepData,
            boolean noParams, Map<String, String> options) {
        /** Restore the latest backup from the pgBackRest repository, then stream (Baton's method). */
        public static final ReplicaMethod BACKUP = new ReplicaMethod("backup", Kind.BACKUP, null, false, false, false,
                Map.of());
        /** pg_basebackup from the leader (with the {@code postgresql.basebackup} options). */
        public static final ReplicaMethod BASEBACKUP = new ReplicaMethod("basebackup", Kind.BASEBACKUP, null, false,
                false, false, Map.of());

        /** What runs. */
        public enum Kind {
            /** Baton's pgBackRest restore. */
            BACKUP,
            /** pg_basebackup. */
            BASEBACKUP,
            /** The user's command, as Patroni runs it. */
            CUSTOM
        }

        public ReplicaMethod {
            options = Copies.map(options);
        }

        /** A custom method: the section {@code postgresql.<name>}. */
        public static ReplicaMethod custom(String name, String command, boolean noLeader, boolean keepData,
                boolean noParams, Map<String, String> options) {
            return new ReplicaMethod(name, Kind.CUSTOM, command, noLeader, keepData, noParams, options);
        }

        /** The spelling in the configuration file. */
        public String key() {
            return name;
        }

        /** The section's flags, which Patroni passes as options too unless {@code no_params}. */
        static final java.util.Set<String> FLAGS = java.util.Set.of("no_params", "no_master", "no_leader",
                "keep_data");

        /**
         * The arguments after the command's own words, as Patroni passes them: the options as
         * {@code --key=value} (the section's flags among them), then {@code --scope},
         * {@code --role=replica}, {@code --datadir} and {@code --connstring}; with
         * {@code no_params} only the options that are not flags. A pure function.
         *
         * @param connstring the upstream's libpq connection string without a password, or empty
         *                   when there is no leader to copy from
         */
        public java.util.List<String> arguments(String scope, java.nio.file.Path dataDir, String connstring) {
            java.util.List<String> out = new java.util.ArrayList<>();
            options.forEach((k, v) -> {
                if (!noParams || !FLAGS.contains(k)) {
                    out.add("--" + k + "=" + v);
                }
            });
            if (noParams) {
                return out;
            }
            out.add("--scope=" + scope);
            out.add("--role=replica");
            out.add("--datadir=" + dataDir);
            out.add("--connstring=" + (connstring == null ? "" : connstring));
            return out;
        }
    }

    public PostgresConfig {
        if (connectAddress == null) {
            connectAddress = ServerAddresses.deriveConnectAddress(listen);
        }
        if (authentication == null) {
            authentication = new Authentication(null, null);
        }
        parameters = Copies.map(parameters);
        pgHba = Copies.list(pgHba);
        if (callbacks == null) {
            callbacks = Callbacks.none();
        }
        createReplicaMethods = Copies.list(createReplicaMethods);
        basebackupArgs = Copies.list(basebackupArgs);
        recoveryConf = Copies.map(recoveryConf);
        if (control == null) {
            control = PostgresControl.defaults();
        }
    }

    /**
     * Without {@code basebackup} options, {@code recovery_conf}, {@code pre_promote},
     * {@code before_stop}, {@code pg_ctl_timeout} and the Unix-socket keys.
     */
    public PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
            Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
            boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind, List<ReplicaMethod> createReplicaMethods) {
        this(listen, connectAddress, dataDir, binDir, pgpass, authentication, parameters, pgHba, callbacks,
                removeDataDirectoryOnRewindFailure, usePgRewind, createReplicaMethods, List.of(), Map.of(), null);
    }

    /** With {@code create_replica_methods} not given (the default order applies). */
    public PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
            Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
            boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind) {
        this(listen, connectAddress, dataDir, binDir, pgpass, authentication, parameters, pgHba, callbacks,
                removeDataDirectoryOnRewindFailure, usePgRewind, List.of());
    }

    /** The default pgpass file for a node: {@code .pgpass_<name>} next to the data directory. */
    public static Path defaultPgpass(Path dataDir, String name) {
        return dataDir.resolveSibling(".pgpass_" + name);
    }
}
