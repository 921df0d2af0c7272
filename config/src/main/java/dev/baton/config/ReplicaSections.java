package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The keys of {@code postgresql} that say how a replica is made and configured, as Patroni reads
 * them: {@code create_replica_methods} with custom methods ({@code postgresql.<name>}),
 * {@code basebackup} (pg_basebackup's options, list or map form) and {@code recovery_conf}. Every
 * problem is reported with its key path; no value ever reaches a shell.
 */
final class ReplicaSections {
    private ReplicaSections() {
    }

    /** The keys of {@code postgresql} itself: a custom method may not be named after one. */
    static final Set<String> POSTGRESQL_KEYS = Set.of("listen", "connect_address", "data_dir", "bin_dir", "pgpass",
            "authentication", "parameters", "pg_hba", "callbacks", "remove_data_directory_on_rewind_failure",
            "use_pg_rewind", "create_replica_methods", "pg_ctl_timeout", "basebackup", "recovery_conf", "custom_conf",
            "config_dir", "use_unix_socket", "use_unix_socket_repl", "pg_ident", "pre_promote", "before_stop",
            "remove_data_directory_on_diverged_timelines", "proxy_address", "database", "bin_name", "replica_method",
            "use_slots", "cancel_sighup");

    /** The arguments Baton passes to a custom method itself (Patroni's). */
    static final Set<String> PASSED_BY_BATON = Set.of("scope", "role", "datadir", "connstring");

    /**
     * pg_basebackup options Baton sets or that would break the clone: Patroni's list
     * ({@code pgdata}, {@code format}, {@code wal-method}, ...) and {@code write-recovery-conf}
     * (its primary_conninfo in postgresql.auto.conf would outlive a failover) and {@code target}
     * (a backup sent elsewhere than the data directory).
     */
    static final Set<String> BASEBACKUP_REFUSED = Set.of("pgdata", "format", "wal-method", "xlog-method", "gzip",
            "version", "compress", "dbname", "host", "port", "username", "password", "write-recovery-conf", "target",
            "no-password", "help");

    /** recovery_conf settings Patroni ignores or replaces (with {@code recovery_target*}). */
    static final Set<String> IGNORED_RECOVERY = Set.of("primary_conninfo", "primary_slot_name", "standby_mode",
            "trigger_file", "promote_trigger_file");

    /** A long option name (pg_basebackup's, or a custom method's key). */
    private static final Pattern LONG_OPTION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    /**
     * {@code create_replica_methods}: {@code basebackup}, Baton's {@code backup}, and custom
     * methods, each a section {@code postgresql.<name>} (a name with such a section is custom, as
     * in Patroni, even {@code backup}); each at most once.
     */
    static List<PostgresConfig.ReplicaMethod> replicaMethods(ConfigNode n) {
        List<PostgresConfig.ReplicaMethod> out = new ArrayList<>();
        if (!n.present("create_replica_methods")) {
            return out;
        }
        String listPath = n.path("create_replica_methods");
        List<String> names = n.strings("create_replica_methods");
        for (int i = 0; i < names.size(); i++) {
            String given = names.get(i).trim();
            String path = listPath + "[" + i + "]";
            String lower = given.toLowerCase(Locale.ROOT);
            PostgresConfig.ReplicaMethod method;
            if (lower.equals("basebackup")) {
                method = PostgresConfig.ReplicaMethod.BASEBACKUP;
            } else if (!given.isEmpty() && n.present(given) && !POSTGRESQL_KEYS.contains(given)) {
                method = custom(n.map(given), given);
            } else if (lower.equals("backup")) {
                method = PostgresConfig.ReplicaMethod.BACKUP;
            } else if (POSTGRESQL_KEYS.contains(given)) {
                n.issues().error(path, "\"" + given + "\" is a key of postgresql itself, not a replica method");
                continue;
            } else {
                n.issues().error(path, "must be backup, basebackup or a custom method with its section postgresql."
                        + Untrusted.shown(given, 60) + " (holding its command), got \"" + Untrusted.shown(given, 60)
                        + "\"");
                continue;
            }
            if (method == null) {
                continue;
            }
            if (out.stream().anyMatch(m -> m.name().equals(method.name()))) {
                n.issues().error(path, method.name() + " is listed twice");
            } else {
                out.add(method);
            }
        }
        if (names.isEmpty() && !n.issues().hasError(listPath)) {
            n.issues().error(listPath, "must name at least one method (backup, basebackup or a custom one)");
        }
        return out;
    }

    /**
     * A custom method's section: {@code command} (the method's name when absent, as in Patroni),
     * {@code no_leader} (or Patroni 3's {@code no_master}), {@code keep_data}, {@code no_params},
     * and any other key as an option, passed as {@code --key=value} in the order written (Patroni
     * passes the flags too unless {@code no_params}, and the other options always). Null when the section is wrong (reported).
     */
    static PostgresConfig.ReplicaMethod custom(ConfigNode s, String name) {
        int errors = s.issues().errors().size();
        String command = s.string("command", name);
        if (command.isBlank()) {
            s.issues().error(s.path("command"), "must not be empty");
        } else {
            PgParameterRules.forbiddenCharacter(command).ifPresent(c -> s.issues().error(s.path("command"),
                    "contains " + c));
        }
        boolean noLeader = s.bool("no_leader", false) | s.bool("no_master", false);
        boolean keepData = s.bool("keep_data", false);
        boolean noParams = s.bool("no_params", false);
        Map<String, String> options = new LinkedHashMap<>();
        for (Iterator<String> it = s.keys(); it.hasNext();) {
            String key = it.next();
            if (key.equals("command")) {
                continue;
            }
            JsonNode v = s.value(key);
            String path = s.path(key);
            if (PASSED_BY_BATON.contains(key)) {
                s.issues().warn(path, "ignored: Baton passes --" + key + " itself, as Patroni does");
            } else if (!LONG_OPTION.matcher(key).matches()) {
                s.issues().error(path, "is not an option name (letters, digits, '_', '.', '-')");
            } else if (v == null) {
                s.issues().warn(path, "no value, ignored");
            } else if (!v.isValueNode()) {
                s.issues().error(path, "must be a string, number or boolean, got " + ConfigNode.describe(v));
            } else {
                String value = pythonText(v);
                var bad = PgParameterRules.forbiddenCharacter(value);
                if (bad.isPresent()) {
                    s.issues().error(path, "contains " + bad.get());
                } else {
                    options.put(key, value);
                }
            }
        }
        if (s.issues().errors().size() > errors) {
            return null;
        }
        return PostgresConfig.ReplicaMethod.custom(name, command, noLeader, keepData, noParams, options);
    }

    /** A scalar as Patroni's {@code str()} writes it: booleans as {@code True}/{@code False}. */
    private static String pythonText(JsonNode v) {
        if (v.isBoolean()) {
            return v.booleanValue() ? "True" : "False";
        }
        return v.asText();
    }

    /**
     * {@code postgresql.basebackup}: pg_basebackup's options as arguments, in both of Patroni's
     * forms. A list holds flags ({@code - verbose}: {@code --verbose}) and one-key maps
     * ({@code - max-rate: 100M}: {@code --max-rate=100M}); a map holds options
     * ({@code checkpoint: fast}: {@code --checkpoint=fast}; {@code true} is a flag, {@code false}
     * leaves it out). Options Baton sets or that would break the clone ({@link #BASEBACKUP_REFUSED})
     * are errors naming the key path.
     */
    static List<String> basebackupArgs(ConfigNode n) {
        List<String> out = new ArrayList<>();
        JsonNode v = n.value("basebackup");
        String path = n.path("basebackup");
        if (v == null) {
            return out;
        }
        if (v.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                basebackupOption(n.issues(), path + "." + e.getKey(), e.getKey(), e.getValue(), true, out);
            }
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                JsonNode item = v.get(i);
                String itemPath = path + "[" + i + "]";
                if (item.isTextual()) {
                    basebackupOption(n.issues(), itemPath, item.textValue(), null, false, out);
                } else if (item.isObject() && item.size() == 1) {
                    String key = item.fieldNames().next();
                    basebackupOption(n.issues(), itemPath + "." + key, key, item.get(key), false, out);
                } else {
                    n.issues().error(itemPath, "must be an option name or a map of one option to its value, got "
                            + ConfigNode.describe(item));
                }
            }
        } else {
            n.issues().error(path, "must be a list or a map of pg_basebackup options, got " + ConfigNode.describe(v));
        }
        return out;
    }

    private static void basebackupOption(Issues issues, String path, String key, JsonNode value, boolean mapForm,
                                         List<String> out) {
        String name = key.trim();
        if (!LONG_OPTION.matcher(name).matches() || name.length() < 2) {
            issues.error(path, "must be a long option name of pg_basebackup without dashes (e.g. max-rate), got \""
                    + Untrusted.shown(key, 60) + "\"");
            return;
        }
        if (BASEBACKUP_REFUSED.contains(name.toLowerCase(Locale.ROOT))) {
            issues.error(path, "--" + name + " is not allowed: Baton sets it, or it would break the clone");
            return;
        }
        if (value == null) {
            out.add("--" + name);
            return;
        }
        if (value.isNull()) {
            issues.warn(path, "no value, ignored");
            return;
        }
        if (mapForm && value.isBoolean()) {
            if (value.booleanValue()) {
                out.add("--" + name);
            }
            return;
        }
        if (!value.isValueNode()) {
            issues.error(path, "must be a string or a number, got " + ConfigNode.describe(value));
            return;
        }
        String text = value.asText();
        var bad = PgParameterRules.forbiddenCharacter(text);
        if (bad.isPresent()) {
            issues.error(path, "contains " + bad.get());
        } else if (text.isEmpty()) {
            issues.warn(path, "no value, ignored");
        } else {
            out.add("--" + name + "=" + text);
        }
    }

    /**
     * {@code postgresql.recovery_conf}: settings written for a replica beside primary_conninfo
     * (e.g. {@code restore_command}, {@code recovery_min_apply_delay}). As in Patroni,
     * {@code primary_conninfo}, {@code primary_slot_name}, {@code recovery_target*},
     * {@code standby_mode} and the trigger file are Baton's: warned about and ignored; another
     * parameter Baton sets (e.g. {@code port}) is an error, as in {@code parameters}.
     */
    static Map<String, String> recoveryConf(ConfigNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!n.present("recovery_conf")) {
            return out;
        }
        ConfigNode r = n.map("recovery_conf");
        for (Iterator<String> it = r.keys(); it.hasNext();) {
            String name = it.next();
            JsonNode v = r.value(name);
            String path = r.path(name);
            String lower = name.toLowerCase(Locale.ROOT);
            var nameProblem = PgParameterNames.problem(name);
            if (nameProblem.isPresent()) {
                r.issues().error(path, nameProblem.get());
            } else if (IGNORED_RECOVERY.contains(lower) || lower.startsWith("recovery_target")) {
                r.issues().warn(path, "ignored, as in Patroni: Baton decides where a replica streams from, that it "
                        + "recovers to the latest timeline and when it is promoted");
            } else if (v != null && PgParameterRules.ownedProblem(name, v.asText()).isPresent()) {
                r.issues().error(path, PgParameterRules.ownedProblem(name, v.asText()).get());
            } else if (v == null) {
                r.issues().warn(path, "no value, ignored");
            } else if (!v.isValueNode()) {
                r.issues().error(path, "must be a string, number or boolean, got " + ConfigNode.describe(v));
            } else {
                String value = v.isBoolean() ? (v.booleanValue() ? "on" : "off") : v.asText();
                var bad = PgParameterRules.valueProblem(value);
                if (bad.isPresent()) {
                    r.issues().error(path, bad.get());
                } else {
                    out.put(lower, value);
                }
            }
        }
        return out;
    }
}
