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
 * {@link BatonConfig#replicaMethods()}. {@code control}: the hooks, pg_ctl's timeout and the
 * Unix-socket keys (never null).
 */
public record PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
        Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
        boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind, List<ReplicaMethod> createReplicaMethods,
        PostgresControl control)
        implements ServerAddresses {

    /**
     * {@code create_replica_methods} (Patroni's key): how a new or re-initialised replica gets its
     * data directory, tried in order until one succeeds.
     */
    public enum ReplicaMethod {
        /** Restore the latest backup from the pgBackRest repository, then stream (Baton's method). */
        BACKUP("backup"),
        /** pg_basebackup from the leader. */
        BASEBACKUP("basebackup");

        private final String key;

        ReplicaMethod(String key) {
            this.key = key;
        }

        /** The spelling in the configuration file. */
        public String key() {
            return key;
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
        if (control == null) {
            control = PostgresControl.defaults();
        }
    }

    /** Without {@code pre_promote}, {@code before_stop}, {@code pg_ctl_timeout} and the Unix-socket keys. */
    public PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
            Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
            boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind, List<ReplicaMethod> createReplicaMethods) {
        this(listen, connectAddress, dataDir, binDir, pgpass, authentication, parameters, pgHba, callbacks,
                removeDataDirectoryOnRewindFailure, usePgRewind, createReplicaMethods, null);
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
