package dev.baton.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code postgresql}: the local instance's addresses and directories, the superuser and
 * replication credentials, parameters, pg_hba and callbacks. The pgpass file defaults to
 * {@link PostgresConfig#defaultPgpass} once the data directory and the node's name are known.
 */
final class PostgresSection {
    private PostgresSection() {
    }

    /** @param name the node's name (for the default pgpass file), or null when it is missing */
    static PostgresConfig read(ConfigNode n, String name) {
        String listen = n.address("listen", true, false);
        String connect = n.address("connect_address", false, true);
        Path dataDir = n.file("data_dir");
        if (dataDir == null && !n.issues().hasError(n.path("data_dir"))) {
            n.issues().error(n.path("data_dir"), "is required");
        }
        Path binDir = n.file("bin_dir");
        Path pgpass = n.file("pgpass");
        if (pgpass == null && dataDir != null && name != null) {
            pgpass = PostgresConfig.defaultPgpass(dataDir, name);
        }
        ConfigNode auth = n.map("authentication");
        Credentials superuser = credentials(auth.map("superuser"), Authentication.DEFAULT_SUPERUSER);
        Credentials replication = credentials(auth.map("replication"), Authentication.DEFAULT_REPLICATION_USER);
        auth.unsupported("rewind");
        auth.finish();
        Map<String, String> parameters = n.parameters("parameters");
        List<String> pgHba = n.strings("pg_hba");
        Callbacks callbacks = callbacks(n.map("callbacks"));
        boolean removeDataDir = n.bool("remove_data_directory_on_rewind_failure", false);
        Boolean usePgRewind = n.boolOrNull("use_pg_rewind");
        n.unsupported("pg_ctl_timeout", "create_replica_methods", "basebackup", "recovery_conf", "custom_conf",
                "config_dir", "use_unix_socket", "use_unix_socket_repl", "pg_ident", "pre_promote", "before_stop",
                "remove_data_directory_on_diverged_timelines", "proxy_address", "database", "bin_name",
                "replica_method", "use_slots", "cancel_sighup");
        n.finish();
        return new PostgresConfig(listen, connect, dataDir, binDir, pgpass, new Authentication(superuser, replication),
                parameters, pgHba, callbacks, removeDataDir, usePgRewind);
    }

    /** A user and password; a missing password is a warning (pg_hba.conf may not need one). */
    static Credentials credentials(ConfigNode n, String defaultUser) {
        String username = n.string("username", defaultUser);
        if (username.isBlank()) {
            n.issues().error(n.path("username"), "must not be empty");
        }
        PgParameterRules.forbiddenCharacter(username).ifPresent(c -> n.issues().error(n.path("username"),
                "contains " + c + ": a role name is written into pgpass, pg_hba.conf and conninfo lines"));
        String password = n.string("password", null);
        // Named by its code only: the password itself never appears in a message.
        PgParameterRules.forbiddenCharacter(password).ifPresent(c -> n.issues().error(n.path("password"),
                "contains " + c + ": a password is written into the pgpass file, one line per role"));
        if (password == null && !n.issues().hasError(n.path("password"))) {
            n.issues().warn(n.path("password"),
                    "not set; connections as " + username + " work only where pg_hba.conf needs no password");
        }
        n.unsupported("sslmode", "sslkey", "sslpassword", "sslcert", "sslrootcert", "sslcrl", "sslcrldir",
                "sslnegotiation", "gssencmode", "channel_binding");
        n.finish();
        return new Credentials(username, password);
    }

    private static Callbacks callbacks(ConfigNode n) {
        Callbacks c = new Callbacks(command(n, "on_start"), command(n, "on_stop"), command(n, "on_role_change"),
                command(n, "on_restart"), command(n, "on_reload"));
        n.finish();
        return c;
    }

    private static String command(ConfigNode n, String key) {
        String s = n.string(key, null);
        return s == null || s.isBlank() ? null : s;
    }
}
