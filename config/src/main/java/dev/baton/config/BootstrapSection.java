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
 * Reads {@code bootstrap}: the dynamic configuration that seeds the etcd {@code config} key, the
 * initdb options (in Patroni's two forms), the pg_hba lines of a new cluster, the method that makes
 * it (initdb, restore, or a custom command in a section of its own), the users and the
 * post_bootstrap script.
 */
final class BootstrapSection {
    /** initdb options Baton sets itself; giving them here would break bootstrap. */
    private static final Set<String> INITDB_FORBIDDEN = Set.of("pgdata", "nosync", "pwfile", "sync-only", "version");

    private BootstrapSection() {
    }

    static BootstrapConfig read(ConfigNode n) {
        DynamicConfig dcs = DynamicConfig.read(n.map("dcs"));
        List<String> initdb = new ArrayList<>();
        List<JsonNode> items = n.list("initdb");
        for (int i = 0; i < items.size(); i++) {
            String arg = initdbArg(items.get(i), n.path("initdb") + "[" + i + "]", n);
            if (arg != null) {
                initdb.add(arg);
            }
        }
        List<String> pgHba = n.strings("pg_hba");
        BootstrapConfig.Method method = BootstrapConfig.Method.INITDB;
        CustomBootstrapMethod custom = null;
        String m = n.string("method", null);
        if (m != null) {
            String name = m.trim();
            switch (name.toLowerCase(Locale.ROOT)) {
                case "initdb" -> method = BootstrapConfig.Method.INITDB;
                // Baton's own restore, unless the section is Patroni's custom method named restore (it has a command).
                case "restore" -> method = customSection(n, "restore") ? BootstrapConfig.Method.CUSTOM
                        : BootstrapConfig.Method.RESTORE;
                default -> method = BootstrapConfig.Method.CUSTOM;
            }
            if (method == BootstrapConfig.Method.CUSTOM) {
                custom = custom(n, name);
                if (custom == null) {
                    method = BootstrapConfig.Method.INITDB;
                }
            }
        }
        RestoreConfig restore = null;
        if (n.present("restore") && method != BootstrapConfig.Method.CUSTOM) {
            restore = BackupSection.restore(n.map("restore"));
            if (method != BootstrapConfig.Method.RESTORE) {
                n.issues().error(n.path("restore"), "is only read with bootstrap.method: restore");
            }
        }
        Map<String, BootstrapUser> users = users(n.map("users"));
        String postBootstrap = postBootstrap(n);
        n.finish();
        return new BootstrapConfig(dcs, initdb, pgHba, method, restore, users, postBootstrap, custom);
    }

    /** The keys of {@code bootstrap} that cannot name a custom method's section. */
    private static final Set<String> SECTION_KEYS = Set.of("dcs", "initdb", "pg_hba", "users", "post_bootstrap",
            "post_init", "method");

    /** Whether {@code bootstrap.<name>} is a map with a {@code command}: a custom method's section. */
    private static boolean customSection(ConfigNode n, String name) {
        JsonNode v = n.present(name) ? n.value(name) : null;
        return v != null && v.isObject() && v.has("command");
    }

    /**
     * {@code bootstrap.<name>}: {@code command} (required), {@code no_params},
     * {@code keep_existing_recovery_conf}, {@code recovery_conf}, and any other scalar key as an
     * extra {@code --key=value} argument. Null (reported) when there is no such section or it is wrong.
     */
    static CustomBootstrapMethod custom(ConfigNode n, String name) {
        if (SECTION_KEYS.contains(name) || !n.present(name)) {
            n.issues().error(n.path("method"), "must be initdb, restore or the name of a custom bootstrap method "
                    + "(a section bootstrap.<name> with a command), got \"" + Untrusted.shown(name, 60) + "\""
                    + (SECTION_KEYS.contains(name) ? "" : ": there is no section " + n.path(Untrusted.shown(name, 60))));
            return null;
        }
        ConfigNode c = n.map(name);
        if (n.issues().hasError(n.path(name))) {
            return null;
        }
        String command = c.required("command");
        boolean noParams = c.bool("no_params", false);
        boolean keep = c.bool("keep_existing_recovery_conf", false);
        Map<String, String> recovery = recoveryConf(c.map("recovery_conf"));
        Map<String, String> extra = new LinkedHashMap<>();
        for (Iterator<String> it = c.keys(); it.hasNext();) {
            String key = it.next();
            if (CUSTOM_KEYS.contains(key)) {
                continue;
            }
            JsonNode v = c.value(key);
            if (!ARG_NAME.matcher(key).matches()) {
                n.issues().error(c.path(key), "must be a command-line option name (letters, digits, '_', '-') to be "
                        + "passed as --" + Untrusted.shown(key, 40) + "=value");
            } else if (key.equals("scope") || key.equals("datadir")) {
                n.issues().warn(c.path(key), "ignored: Baton passes --" + key + " itself (unless no_params)");
            } else if (v == null) {
                n.issues().warn(c.path(key), "no value, ignored");
            } else {
                String value = c.text(v, c.path(key));
                if (value != null && value.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                    n.issues().error(c.path(key), "contains a control character");
                } else if (value != null) {
                    extra.put(key, value);
                }
            }
        }
        if (command == null) {
            return null;
        }
        return new CustomBootstrapMethod(name, command, noParams, keep, recovery, extra);
    }

    private static final Set<String> CUSTOM_KEYS = Set.of("command", "no_params", "keep_existing_recovery_conf",
            "recovery_conf");
    private static final Pattern ARG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    /** The recovery settings {@code recovery_conf} may hold (PostgreSQL 12 and later, and standby_mode). */
    static final Set<String> RECOVERY_SETTINGS = Set.of("restore_command", "archive_cleanup_command",
            "recovery_end_command", "recovery_target", "recovery_target_name", "recovery_target_time",
            "recovery_target_xid", "recovery_target_lsn", "recovery_target_inclusive", "recovery_target_timeline",
            "recovery_target_action", "recovery_min_apply_delay", "primary_conninfo", "primary_slot_name",
            "standby_mode");

    /** {@code recovery_conf}: recovery settings only, scalar values (booleans as on/off), no control character. */
    static Map<String, String> recoveryConf(ConfigNode r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> it = r.keys(); it.hasNext();) {
            String key = it.next();
            JsonNode v = r.value(key);
            if (!RECOVERY_SETTINGS.contains(key)) {
                r.issues().error(r.path(key), "must be a recovery setting (" + String.join(", ",
                        new java.util.TreeSet<>(RECOVERY_SETTINGS)) + "), got \"" + Untrusted.shown(key, 60) + "\"");
            } else if (v == null) {
                r.issues().warn(r.path(key), "no value, ignored");
            } else if (!v.isValueNode()) {
                r.issues().error(r.path(key), "must be a string, number or boolean, got " + ConfigNode.describe(v));
            } else {
                String value = v.isBoolean() ? (v.booleanValue() ? "on" : "off") : v.asText();
                if (value.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                    r.issues().error(r.path(key), "contains a control character");
                } else {
                    out.put(key, value);
                }
            }
        }
        return out;
    }

    /** {@code post_bootstrap}, or Patroni's older name {@code post_init}; null when neither is given. */
    private static String postBootstrap(ConfigNode n) {
        String post = n.string("post_bootstrap", null);
        String init = n.string("post_init", null);
        if (post != null && init != null) {
            n.issues().warn(n.path("post_init"), "ignored: post_bootstrap is given too (as in Patroni)");
        }
        String command = post != null ? post : init;
        String key = post != null ? "post_bootstrap" : "post_init";
        if (command != null && command.isBlank()) {
            n.issues().error(n.path(key), "must be a command, got an empty string");
            return null;
        }
        return command;
    }

    /** A role name Baton can quote safely; "pg_" names are reserved by PostgreSQL. */
    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");

    /** CREATE ROLE's option keywords (each also with NO), and the one option with a value Baton takes. */
    private static final Set<String> ROLE_OPTIONS = Set.of("SUPERUSER", "CREATEDB", "CREATEROLE", "INHERIT", "LOGIN",
            "REPLICATION", "BYPASSRLS");
    private static final Pattern CONNECTION_LIMIT = Pattern.compile("CONNECTION\\s+LIMIT\\s+(-1|\\d{1,9})");

    /**
     * {@code bootstrap.users}: {@code {name: {password: ..., options: [createdb, ...]}}}, as Patroni
     * 3.x reads it (Patroni 4 dropped it). Each name, password and option is checked; the options
     * are {@code CREATE ROLE} keywords only, never SQL of their own. The new cluster's primary creates
     * them once, after the post_bootstrap script (Patroni 3.x's order).
     */
    static Map<String, BootstrapUser> users(ConfigNode n) {
        Map<String, BootstrapUser> out = new LinkedHashMap<>();
        for (Iterator<String> it = n.keys(); it.hasNext();) {
            String name = it.next();
            String path = n.path(name);
            if (!ROLE.matcher(name).matches() || name.toLowerCase(Locale.ROOT).startsWith("pg_")) {
                n.issues().error(path, "must be a role name (letters, digits, '_', '$', '-', at most 63, not "
                        + "starting with pg_), got \"" + Untrusted.shown(name, 70) + "\"");
                n.value(name);
                continue;
            }
            ConfigNode user = n.map(name);
            // Optional, as in Patroni (a role without a password); never shown.
            String password = user.string("password", null);
            if (password != null && password.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                n.issues().error(user.path("password"), "contains a control character");
                password = null;
            }
            List<String> options = new ArrayList<>();
            List<String> raw = user.strings("options");
            for (int i = 0; i < raw.size(); i++) {
                String option = raw.get(i).trim().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
                String bare = option.startsWith("NO") ? option.substring(2) : option;
                if (ROLE_OPTIONS.contains(bare) || CONNECTION_LIMIT.matcher(option).matches()) {
                    options.add(option);
                } else {
                    n.issues().error(user.path("options") + "[" + i + "]", "must be a CREATE ROLE option ("
                            + "[NO]SUPERUSER, [NO]CREATEDB, [NO]CREATEROLE, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION, "
                            + "[NO]BYPASSRLS or CONNECTION LIMIT n), got \"" + Untrusted.shown(raw.get(i), 60) + "\"");
                }
            }
            user.finish();
            out.put(name, new BootstrapUser(name, password == null || password.isEmpty() ? null : password, options));
        }
        return out;
    }

    /** "data-checksums" becomes "--data-checksums"; {encoding: UTF8} becomes "--encoding=UTF8". */
    static String initdbArg(JsonNode item, String path, ConfigNode n) {
        String option;
        String value = null;
        if (item.isTextual()) {
            option = item.textValue().trim();
        } else if (item.isObject() && item.size() == 1) {
            Map.Entry<String, JsonNode> e = item.fields().next();
            option = e.getKey().trim();
            if (!e.getValue().isNull()) {
                value = n.text(e.getValue(), path + "." + e.getKey());
                if (value == null) {
                    return null;
                }
            }
        } else {
            n.issues().error(path, "must be an option name or a map with one option, got " + ConfigNode.describe(item));
            return null;
        }
        option = option.replaceFirst("^--?", "");
        String bare = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        if (bare.isEmpty()) {
            n.issues().error(path, "must be an option name, got " + ConfigNode.describe(item));
            return null;
        }
        if (INITDB_FORBIDDEN.contains(bare)) {
            n.issues().error(path, "initdb option --" + bare + " is set by Baton and may not be given here");
            return null;
        }
        return "--" + option + (value == null ? "" : "=" + value);
    }
}
