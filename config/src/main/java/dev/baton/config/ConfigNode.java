package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One map of the configuration tree and its key path. Accessors never throw: a value of the wrong
 * type is reported to {@link Issues} with its path and the default is returned, so one pass finds
 * every problem. Keys no accessor asked for are reported by {@link #finish()}.
 */
final class ConfigNode {
    static final String UNSUPPORTED = "Patroni key not supported by Baton, ignored";
    static final String UNKNOWN = "unknown key, ignored";

    private final JsonNode map; // an object node, or null for an absent (or mistyped) section
    private final String path;
    private final Issues issues;
    private final Set<String> seen = new HashSet<>();

    ConfigNode(JsonNode map, String path, Issues issues) {
        this.map = map != null && map.isObject() ? map : null;
        this.path = path;
        this.issues = issues;
    }

    String path() {
        return path;
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    Issues issues() {
        return issues;
    }

    /** Whether the key is written at all, even with an empty value. */
    boolean present(String key) {
        return map != null && map.has(key);
    }

    /** The value, or null when absent or empty; marks the key as known. */
    JsonNode value(String key) {
        seen.add(key);
        JsonNode v = map == null ? null : map.get(key);
        return v == null || v.isNull() ? null : v;
    }

    Iterator<String> keys() {
        return map == null ? List.<String>of().iterator() : map.fieldNames();
    }

    ConfigNode map(String key) {
        JsonNode v = value(key);
        if (v != null && !v.isObject()) {
            issues.error(path(key), "must be a map, got " + describe(v));
            v = null;
        }
        return new ConfigNode(v, path(key), issues);
    }

    /** The items of a list, or an empty list when absent or mistyped. Item paths are {@code key[i]}. */
    List<JsonNode> list(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            issues.error(path(key), "must be a list, got " + describe(v));
            return List.of();
        }
        List<JsonNode> items = new ArrayList<>();
        v.forEach(items::add);
        return items;
    }

    String string(String key, String def) {
        JsonNode v = value(key);
        String s = v == null ? null : text(v, path(key));
        return s == null ? def : s;
    }

    int integer(String key, int def) {
        Integer i = integerOrNull(key);
        return i == null ? def : i;
    }

    Integer integerOrNull(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isTextual()) {
            try {
                return Integer.parseInt(v.textValue().trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        issues.error(path(key), "must be an integer, got " + describe(v));
        return null;
    }

    boolean bool(String key, boolean def) {
        Boolean b = boolOrNull(key);
        return b == null ? def : b;
    }

    Boolean boolOrNull(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return null;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isTextual()) {
            switch (v.textValue().trim().toLowerCase(Locale.ROOT)) {
                case "true", "on", "yes", "1":
                    return true;
                case "false", "off", "no", "0":
                    return false;
                default:
                    break;
            }
        }
        issues.error(path(key), "must be a boolean (true or false), got " + describe(v));
        return null;
    }

    /** A string that must be present and not blank; null (reported once) otherwise. */
    String required(String key) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            if (!issues.hasError(path(key))) {
                issues.error(path(key), "is required");
            }
            return null;
        }
        return value;
    }

    /**
     * A host:port, normalised; null when absent or invalid (reported). With {@code connect} the
     * host must be one other members can connect to, not a wildcard.
     */
    String address(String key, boolean isRequired, boolean connect) {
        String value = isRequired ? required(key) : string(key, null);
        if (value == null) {
            return null;
        }
        try {
            HostPort hp = HostPort.parse(value);
            if (connect && hp.isWildcard()) {
                issues.error(path(key), "must be an address other members can connect to, got \"" + value + "\"");
                return null;
            }
            return hp.toString();
        } catch (IllegalArgumentException e) {
            issues.error(path(key), e.getMessage());
            return null;
        }
    }

    /** A byte count: an integer, or a PostgreSQL size string such as "16MB". */
    long size(String key, long def) {
        JsonNode v = value(key);
        if (v == null) {
            return def;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isTextual()) {
            try {
                return Sizes.parseBytes(v.textValue());
            } catch (IllegalArgumentException e) {
                // reported below
            }
        }
        issues.error(path(key), "must be a number of bytes or a size such as \"16MB\" (units B, kB, MB, GB, TB), got "
                + describe(v));
        return def;
    }

    Path file(String key) {
        String s = string(key, null);
        if (s == null) {
            return null;
        }
        if (s.isBlank()) {
            issues.error(path(key), "must not be empty");
            return null;
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            issues.error(path(key), "is not a valid path: " + e.getReason());
            return null;
        }
    }

    /** A list of strings, e.g. pg_hba lines. */
    List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        List<JsonNode> items = list(key);
        for (int i = 0; i < items.size(); i++) {
            String s = text(items.get(i), path(key) + "[" + i + "]");
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * PostgreSQL parameters: scalar values rendered as PostgreSQL strings (booleans as on/off).
     * A name PostgreSQL would not read as one, a parameter Baton sets itself and a value with a
     * control character are errors ({@link PgParameterNames}, {@link PgParameterRules}).
     */
    Map<String, String> parameters(String key) {
        ConfigNode params = map(key);
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> it = params.keys(); it.hasNext();) {
            String name = it.next();
            JsonNode v = params.value(name);
            String value = v != null && v.isBoolean() ? (v.booleanValue() ? "on" : "off")
                    : v != null && v.isValueNode() ? v.asText() : null;
            var problem = PgParameterNames.problem(name)
                    .or(() -> v == null ? Optional.empty() : PgParameterRules.ownedProblem(name, value))
                    .or(() -> PgParameterRules.valueProblem(value));
            if (problem.isPresent()) {
                issues.error(params.path(name), problem.get());
            } else if (v == null) {
                issues.warn(params.path(name), "no value, ignored");
            } else if (value != null) {
                out.put(name, value);
            } else {
                issues.error(params.path(name), "must be a string, number or boolean, got " + describe(v));
            }
        }
        return out;
    }

    /** Warns about each present key that Patroni knows but Baton does not implement. */
    void unsupported(String... keys) {
        for (String key : keys) {
            ignore(key, UNSUPPORTED);
        }
    }

    /** Warns that a present key is ignored, for the given reason. */
    void ignore(String key, String reason) {
        if (present(key) && seen.add(key)) {
            issues.warn(path(key), reason);
        }
    }

    /** Warns about every key that no accessor asked for. */
    void finish() {
        for (Iterator<String> it = keys(); it.hasNext();) {
            String key = it.next();
            if (!seen.contains(key)) {
                issues.warn(path(key), UNKNOWN);
            }
        }
    }

    /** A scalar as text; maps and lists are reported and give null. */
    String text(JsonNode v, String path) {
        if (v.isValueNode() && !v.isNull()) {
            return v.asText();
        }
        issues.error(path, "must be a string, got " + describe(v));
        return null;
    }

    static String describe(JsonNode v) {
        if (v == null || v.isNull()) {
            return "null";
        }
        if (v.isObject()) {
            return "a map";
        }
        if (v.isArray()) {
            return "a list";
        }
        return v.isTextual() ? "\"" + v.textValue() + "\"" : v.asText();
    }
}
