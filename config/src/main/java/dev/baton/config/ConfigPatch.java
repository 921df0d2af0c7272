package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writing the etcd {@code config} key from a client's document ({@code PATCH /config},
 * {@code PUT /config}): the merge and the checks, pure so they are unit-tested.
 *
 * <p>{@link #merge} is a JSON merge patch (RFC 7386), as Patroni's {@code patch_config}: maps are
 * merged key by key, {@code null} removes a key, anything else replaces the value. {@link #shapeProblems}
 * refuses what no configuration needs and a client could use to hurt (deep nesting, control
 * characters that would reach logs and postgresql.conf); {@link #problems} is Baton's own reading of
 * the result, as strict as {@code baton edit-config} (the timing rule is an error, not a warning).
 */
public final class ConfigPatch {
    /** Maps and lists inside each other: the deepest Patroni key ({@code slots.<name>.<field>}) needs 3. */
    public static final int MAX_DEPTH = 8;
    /** The largest document written to the key, in bytes of its JSON. */
    public static final int MAX_BYTES = 64 * 1024;
    /** At most this many shape problems are reported (a hostile document could hold thousands). */
    private static final int MAX_REPORTED = 20;

    private ConfigPatch() {
    }

    /** A copy of {@code target} with {@code patch} merged in (RFC 7386); neither argument is changed. */
    public static ObjectNode merge(ObjectNode target, ObjectNode patch) {
        ObjectNode out = target.deepCopy();
        mergeInto(out, patch);
        return out;
    }

    private static void mergeInto(ObjectNode target, ObjectNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v == null || v.isNull()) {
                target.remove(f.getKey());
            } else if (v.isObject()) {
                // A map merges into a map; over anything else it starts from an empty one (so its nulls vanish).
                ObjectNode child = target.get(f.getKey()) instanceof ObjectNode o ? o
                        : JsonNodeFactory.instance.objectNode();
                mergeInto(child, (ObjectNode) v);
                target.set(f.getKey(), child);
            } else {
                target.set(f.getKey(), v.deepCopy());
            }
        }
    }

    /**
     * What is wrong with the shape of a client's document, before its values are read: nesting
     * deeper than {@link #MAX_DEPTH}, and control characters in a key or a text value. Paths start
     * with "config"; the client's text in them is shown with control characters escaped.
     */
    public static List<ConfigError> shapeProblems(JsonNode document) {
        List<ConfigError> out = new ArrayList<>();
        shape(document, "config", 0, out);
        return out.size() > MAX_REPORTED ? List.copyOf(out.subList(0, MAX_REPORTED)) : List.copyOf(out);
    }

    private static void shape(JsonNode n, String path, int depth, List<ConfigError> out) {
        if (out.size() > MAX_REPORTED) {
            return;
        }
        if (n.isContainerNode() && depth >= MAX_DEPTH) {
            out.add(new ConfigError(path, "nested more than " + MAX_DEPTH + " maps or lists deep"));
            return;
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                String child = path + "." + printable(f.getKey());
                if (hasControl(f.getKey())) {
                    out.add(new ConfigError(child, "the key contains a control character"));
                }
                shape(f.getValue(), child, depth + 1, out);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                shape(n.get(i), path + "[" + i + "]", depth + 1, out);
            }
        } else if (n.isTextual() && hasControl(n.textValue())) {
            out.add(new ConfigError(path, "the value contains a control character"));
        }
    }

    /**
     * Every reason Baton would refuse {@code document} as the config key: too large, then the
     * errors of reading it ({@link DynamicConfig#fromJson}: types, bounds, parameter names and
     * values) and the timing rule {@code loop_wait + 2*retry_timeout <= ttl}. Keys Baton ignores
     * (unknown, or Patroni's that it does not implement) are not problems: they are kept.
     */
    public static List<ConfigError> problems(ObjectNode document) {
        String json = document.toString();
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return List.of(new ConfigError("config", "the configuration would be " + bytes + " bytes of JSON, more than "
                    + MAX_BYTES));
        }
        Set<ConfigError> out = new LinkedHashSet<>();
        try {
            out.addAll(DynamicConfig.fromJson(json).validate("config"));
        } catch (ConfigException e) {
            out.addAll(e.errors());
        }
        return List.copyOf(out);
    }

    /**
     * The problems of {@code after} that {@code before} does not have: what an edit would add. A
     * key that already holds an invalid value (the agents keep its last good one) does not block
     * an unrelated change such as {@code pause}.
     */
    public static List<ConfigError> newProblems(ObjectNode before, ObjectNode after) {
        Set<ConfigError> old = new LinkedHashSet<>(problems(before));
        return problems(after).stream().filter(p -> !old.contains(p)).toList();
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(Character::isISOControl);
    }

    /** Client text in a path: control characters as \\uXXXX, at most 64 characters. */
    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        StringBuilder sb = new StringBuilder();
        cut.chars().forEach(c -> {
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.append((char) c);
            }
        });
        return sb.toString();
    }
}
