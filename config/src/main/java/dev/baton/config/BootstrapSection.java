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
 * initdb options (in Patroni's two forms) and the pg_hba lines of a new cluster.
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
        String m = n.string("method", null);
        if (m != null) {
            switch (m.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "initdb" -> method = BootstrapConfig.Method.INITDB;
                case "restore" -> method = BootstrapConfig.Method.RESTORE;
                default -> n.issues().error(n.path("method"), "must be initdb or restore (Baton has no custom "
                        + "bootstrap methods yet), got \"" + Untrusted.shown(m, 60) + "\"");
            }
        }
        RestoreConfig restore = null;
        if (n.present("restore")) {
            restore = BackupSection.restore(n.map("restore"));
            if (method != BootstrapConfig.Method.RESTORE) {
                n.issues().error(n.path("restore"), "is only read with bootstrap.method: restore");
            }
        }
        Map<String, BootstrapUser> users = users(n.map("users"));
        if (n.present("users")) {
            n.issues().warn(n.path("users"), NOT_CREATED + (users.isEmpty() ? "" : ": " + String.join(", ",
                    users.keySet())));
        }
        n.unsupported("post_bootstrap", "post_init");
        n.finish();
        return new BootstrapConfig(dcs, initdb, pgHba, method, restore, users);
    }

    static final String NOT_CREATED = "read and checked, but Baton does not create bootstrap users yet (Patroni 4 "
            + "dropped them too): create them with SQL once the cluster is bootstrapped";

    /** A role name Baton can quote safely; "pg_" names are reserved by PostgreSQL. */
    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");

    /** CREATE ROLE's option keywords (each also with NO), and the one option with a value Baton takes. */
    private static final Set<String> ROLE_OPTIONS = Set.of("SUPERUSER", "CREATEDB", "CREATEROLE", "INHERIT", "LOGIN",
            "REPLICATION", "BYPASSRLS");
    private static final Pattern CONNECTION_LIMIT = Pattern.compile("CONNECTION\\s+LIMIT\\s+(-1|\\d{1,9})");

    /**
     * {@code bootstrap.users}: {@code {name: {password: ..., options: [createdb, ...]}}}, as Patroni
     * 3.x reads it (Patroni 4 dropped it). Each name, password and option is checked; the options
     * are {@code CREATE ROLE} keywords only, never SQL of their own. Baton does not create these
     * users yet: a warning says so, so that nobody counts on them.
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
