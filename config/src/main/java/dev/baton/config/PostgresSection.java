package dev.baton.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code postgresql}: the local instance's addresses and directories, the superuser,
 * replication and rewind credentials with their libpq TLS options, parameters, pg_hba and callbacks. The pgpass file defaults to
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
        Credentials rewind = auth.present("rewind") ? credentials(auth.map("rewind"), null) : null;
        auth.finish();
        Map<String, String> parameters = n.parameters("parameters");
        List<String> pgHba = n.strings("pg_hba");
        Callbacks callbacks = callbacks(n.map("callbacks"));
        boolean removeDataDir = n.bool("remove_data_directory_on_rewind_failure", false);
        Boolean usePgRewind = n.boolOrNull("use_pg_rewind");
        List<PostgresConfig.ReplicaMethod> methods = replicaMethods(n);
        PostgresControl control = control(n);
        List<String> basebackupArgs = ReplicaSections.basebackupArgs(n);
        Map<String, String> recoveryConf = ReplicaSections.recoveryConf(n);
        n.unsupported("custom_conf", "config_dir", "pg_ident",
                "remove_data_directory_on_diverged_timelines", "proxy_address", "database", "bin_name",
                "replica_method", "use_slots", "cancel_sighup");
        n.finish();
        return new PostgresConfig(listen, connect, dataDir, binDir, pgpass, new Authentication(superuser, replication, rewind),
                parameters, pgHba, callbacks, removeDataDir, usePgRewind, methods, basebackupArgs, recoveryConf,
                control);
    }

    /** {@code create_replica_methods}: see {@link ReplicaSections#replicaMethods}. */
    static List<PostgresConfig.ReplicaMethod> replicaMethods(ConfigNode n) {
        return ReplicaSections.replicaMethods(n);
    }

    /**
     * A user, its password and libpq options; a missing password is a warning (pg_hba.conf may
     * not need one).
     *
     * @param defaultUser null when the username is required
     */
    static Credentials credentials(ConfigNode n, String defaultUser) {
        String username = n.string("username", defaultUser);
        if (username == null) {
            n.issues().error(n.path("username"), "is required");
            username = "";
        } else if (username.isBlank()) {
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
        Map<String, String> options = libpqOptions(n);
        n.finish();
        return new Credentials(username, password, options);
    }

    private static final Set<String> SSLMODES = Set.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");
    private static final Set<String> GSS_OR_BINDING = Set.of("disable", "prefer", "require");

    /**
     * The user's libpq options, in {@link Credentials#LIBPQ_KEYWORDS} order. A value libpq would
     * refuse, or {@code sslnegotiation} (PostgreSQL 17's libpq; 15's would refuse every connection
     * string holding it), is an error: a TLS setting Baton cannot honour never becomes a warning.
     */
    static Map<String, String> libpqOptions(ConfigNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String keyword : Credentials.LIBPQ_KEYWORDS) {
            String value = n.string(keyword, null);
            if (value == null) {
                continue;
            }
            String problem = switch (keyword) {
                case "sslmode" -> SSLMODES.contains(value) ? null : "must be one of disable, allow, prefer, require, "
                        + "verify-ca, verify-full, got \"" + value + "\"";
                case "gssencmode", "channel_binding" -> GSS_OR_BINDING.contains(value) ? null
                        : "must be one of disable, prefer, require, got \"" + value + "\"";
                case "sslpassword" -> null;
                default -> value.isBlank() ? "must not be empty" : null;
            };
            // Named by its code only: a password never appears in a message.
            if (problem == null) {
                problem = PgParameterRules.forbiddenCharacter(value).map(c -> "contains " + c
                        + ": it is written into connection strings").orElse(null);
            }
            if (problem != null) {
                n.issues().error(n.path(keyword), problem);
            } else {
                out.put(keyword, value);
            }
        }
        if (n.present("sslnegotiation")) {
            n.value("sslnegotiation");
            n.issues().error(n.path("sslnegotiation"), "is not supported: the libpq of PostgreSQL 15 does not know "
                    + "it and would refuse every connection string holding it");
        }
        return out;
    }

    /** {@code pre_promote}, {@code before_stop}, {@code pg_ctl_timeout}, {@code use_unix_socket(_repl)}. */
    static PostgresControl control(ConfigNode n) {
        String prePromote = command(n, "pre_promote");
        String beforeStop = command(n, "before_stop");
        Integer timeout = n.integerOrNull("pg_ctl_timeout");
        if (timeout != null && timeout < 1) {
            n.issues().error(n.path("pg_ctl_timeout"), "must be at least 1 (seconds), got " + timeout);
            timeout = null;
        }
        boolean socket = n.bool("use_unix_socket", false);
        boolean socketRepl = n.bool("use_unix_socket_repl", false);
        return new PostgresControl(prePromote, beforeStop,
                timeout == null ? PostgresControl.DEFAULT_PG_CTL_TIMEOUT : timeout, socket, socketRepl);
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
