package dev.baton.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code postgresql}: the local PostgreSQL instance. A null {@code connectAddress} is derived from
 * {@code listen} as for the REST API. {@code binDir} null means "find the binaries"; {@code pgpass}
 * is never null when loaded (default {@code <data_dir>/../.pgpass_<name>}). {@code pgHba} empty
 * means pg_hba.conf is not managed after bootstrap. {@code usePgRewind} null means "use the
 * dynamic config's value".
 */
public record PostgresConfig(String listen, String connectAddress, Path dataDir, Path binDir, Path pgpass,
        Authentication authentication, Map<String, String> parameters, List<String> pgHba, Callbacks callbacks,
        boolean removeDataDirectoryOnRewindFailure, Boolean usePgRewind) implements ServerAddresses {

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
    }

    /** The default pgpass file for a node: {@code .pgpass_<name>} next to the data directory. */
    public static Path defaultPgpass(Path dataDir, String name) {
        return dataDir.resolveSibling(".pgpass_" + name);
    }
}
