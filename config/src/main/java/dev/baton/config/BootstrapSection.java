package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        n.unsupported("users", "post_bootstrap", "post_init");
        n.finish();
        return new BootstrapConfig(dcs, initdb, pgHba, method, restore);
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
