package dev.baton.aws.emulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The form parameters of one request, with the list conventions of the two protocols: EC2 writes
 * {@code Name.N} (and {@code Name.N.Field}), the query protocol {@code Name.member.N}; callers pass
 * the whole prefix ({@code "InstanceId"}, {@code "Targets.member"}).
 */
final class Query {
    private final Map<String, String> params;
    private final String missingCode;

    Query(Map<String, String> params, String missingCode) {
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        this.missingCode = missingCode;
    }

    /** Parses an {@code application/x-www-form-urlencoded} body. */
    static Map<String, String> parseForm(String body) {
        Map<String, String> m = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return m;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }

    Map<String, String> params() {
        return params;
    }

    String get(String key) {
        return params.get(key);
    }

    String get(String key, String dflt) {
        String v = params.get(key);
        return v == null || v.isEmpty() ? dflt : v;
    }

    boolean has(String key) {
        return params.containsKey(key);
    }

    /** The value, or the service's missing-parameter error. */
    String require(String key) {
        String v = params.get(key);
        if (v == null || v.isEmpty()) {
            throw ApiError.bad(missingCode, "The request must contain the parameter " + key);
        }
        return v;
    }

    /** An integer parameter, or {@code dflt} when absent; a non-number is a validation error. */
    Integer integer(String key, Integer dflt) {
        String v = params.get(key);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw ApiError.bad(missingCode.equals("MissingParameter") ? "InvalidParameterValue" : "ValidationError",
                    "Invalid value '" + v + "' for " + key + ": not an integer");
        }
    }

    /** The values of {@code prefix.1}, {@code prefix.2}, ... in index order. */
    List<String> list(String prefix) {
        TreeMap<Integer, String> byIndex = new TreeMap<>();
        String p = prefix + ".";
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (e.getKey().startsWith(p)) {
                String rest = e.getKey().substring(p.length());
                if (rest.matches("\\d+")) {
                    byIndex.put(Integer.parseInt(rest), e.getValue());
                }
            }
        }
        return new ArrayList<>(byIndex.values());
    }

    /** The structures {@code prefix.N.*}, each as its own Query of the fields after {@code prefix.N.}. */
    List<Query> structs(String prefix) {
        TreeMap<Integer, Map<String, String>> byIndex = new TreeMap<>();
        String p = prefix + ".";
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!e.getKey().startsWith(p)) {
                continue;
            }
            String rest = e.getKey().substring(p.length());
            int dot = rest.indexOf('.');
            if (dot <= 0 || !rest.substring(0, dot).matches("\\d+")) {
                continue;
            }
            byIndex.computeIfAbsent(Integer.parseInt(rest.substring(0, dot)), i -> new LinkedHashMap<>())
                    .put(rest.substring(dot + 1), e.getValue());
        }
        List<Query> out = new ArrayList<>();
        for (Map<String, String> m : byIndex.values()) {
            out.add(new Query(m, missingCode));
        }
        return out;
    }

    /** {@code prefix.N.Key}/{@code prefix.N.Value} pairs as an ordered map. */
    Map<String, String> tags(String prefix) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (Query t : structs(prefix)) {
            tags.put(t.require("Key"), t.get("Value", ""));
        }
        return tags;
    }
}
