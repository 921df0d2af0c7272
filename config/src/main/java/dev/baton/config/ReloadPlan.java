package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a reload of the local configuration changes (Patroni's "local configuration reload",
 * SIGHUP or {@code POST /reload}): the running agent's tree compared with a freshly read one, both
 * with their environment overrides applied. Pure.
 *
 * <p>Each changed key path falls in one of three kinds:
 * <ul>
 *   <li>{@link #applied}: under a key the running agent follows ({@link #LIVE}): the PostgreSQL
 *       parameters and pg_hba (postgres is then reloaded; a parameter that needs a restart sets
 *       pending_restart), the callbacks, the tags, the log level, who may call the REST API's
 *       unsafe endpoints (its authentication and allowlist);</li>
 *   <li>{@link #ignored}: under {@code bootstrap}, read only when a new cluster is created (the
 *       cluster's settings change through its {@code config} key: {@code baton edit-config});</li>
 *   <li>{@link #needsRestart}: everything else (scope, name, data_dir, listen addresses, etcd,
 *       the REST API, ...): kept as running, each key named in a warning.</li>
 * </ul>
 * {@link #merged} is the running tree with the live keys taken from the fresh one: what the agent
 * runs with after the reload.
 */
public record ReloadPlan(List<String> applied, List<String> needsRestart, List<String> ignored, ObjectNode merged) {

    /** The keys whose whole subtree the running agent follows. */
    public static final List<String> LIVE = List.of("postgresql.parameters", "postgresql.pg_hba",
            "postgresql.callbacks", "tags", "log.level", "restapi.authentication", "restapi.auth",
            "restapi.allowlist", "restapi.allowlist_include_members");

    /** Read only when a new cluster is bootstrapped. */
    public static final List<String> BOOTSTRAP_ONLY = List.of("bootstrap");

    public ReloadPlan {
        applied = List.copyOf(applied);
        needsRestart = List.copyOf(needsRestart);
        ignored = List.copyOf(ignored);
    }

    /** Nothing differs. */
    public boolean unchanged() {
        return applied.isEmpty() && needsRestart.isEmpty() && ignored.isEmpty();
    }

    /** Compares the running tree with a fresh one (neither is modified). */
    public static ReloadPlan between(ObjectNode running, ObjectNode fresh) {
        Set<String> changed = new LinkedHashSet<>();
        diff("", running, fresh, changed);
        List<String> applied = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (String path : changed) {
            if (under(path, LIVE)) {
                applied.add(path);
            } else if (under(path, BOOTSTRAP_ONLY)) {
                ignored.add(path);
            } else {
                restart.add(path);
            }
        }
        ObjectNode merged = running.deepCopy();
        for (String live : LIVE) {
            JsonNode want = at(fresh, live);
            if (!java.util.Objects.equals(want, at(running, live))) {
                put(merged, live, want);
            }
        }
        return new ReloadPlan(applied, restart, ignored, merged);
    }

    /** Whether {@code path} is one of {@code prefixes} or below one. */
    static boolean under(String path, List<String> prefixes) {
        return prefixes.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "."));
    }

    /** The deepest differing paths: maps are compared key by key, anything else as a whole. */
    private static void diff(String path, JsonNode a, JsonNode b, Set<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
            }
            return;
        }
        if (!same(a, b)) {
            out.add(path);
        }
    }

    /** Absent and null are the same (an empty YAML key); numbers and text compare by value as YAML writes them. */
    private static boolean same(JsonNode a, JsonNode b) {
        boolean aNone = a == null || a.isNull() || a.isMissingNode();
        boolean bNone = b == null || b.isNull() || b.isMissingNode();
        if (aNone || bNone) {
            return aNone && bNone;
        }
        return a.equals(b);
    }

    private static JsonNode at(JsonNode root, String dotted) {
        JsonNode n = root;
        for (String part : dotted.split("\\.")) {
            if (n == null || !n.isObject()) {
                return null;
            }
            n = n.get(part);
        }
        return n;
    }

    /** Sets (or, for null, removes) the dotted key, creating the maps on the way. */
    private static void put(ObjectNode root, String dotted, JsonNode value) {
        String[] parts = dotted.split("\\.");
        ObjectNode n = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = n.get(parts[i]);
            if (next == null || !next.isObject()) {
                if (value == null) {
                    return;
                }
                next = n.putObject(parts[i]);
            }
            n = (ObjectNode) next;
        }
        String last = parts[parts.length - 1];
        if (value == null) {
            n.remove(last);
        } else {
            n.set(last, value.deepCopy());
        }
    }

    /** One line for the log and the REST answer. */
    public String describe() {
        if (unchanged()) {
            return "configuration unchanged";
        }
        List<String> parts = new ArrayList<>();
        if (!applied.isEmpty()) {
            parts.add("applied: " + String.join(", ", applied));
        }
        if (!needsRestart.isEmpty()) {
            parts.add("needs an agent restart, not applied: " + String.join(", ", needsRestart));
        }
        if (!ignored.isEmpty()) {
            parts.add("read only when a new cluster is bootstrapped, not applied: " + String.join(", ", ignored));
        }
        return String.join("; ", parts);
    }
}
