package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code baton edit-config} does to the config key, apart from etcd: parse the edits, apply
 * them to a copy, validate the result, and show the difference. Pure, so it is unit-tested.
 */
final class ConfigEdit {
    static final Pattern PARAMETER_NAME = Pattern.compile("[a-z_][a-z0-9_.]*");
    private static final List<String> PARAMETERS_PATH = List.of("postgresql", "parameters");

    /** Keys of the config key that Baton reads. */
    private static final Set<String> KNOWN = Set.of("ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover",
            "primary_start_timeout", "master_start_timeout", "synchronous_mode", "pause", "postgresql",
            "synchronous_mode_strict", "synchronous_node_count", "maximum_lag_on_syncnode",
            "failsafe_mode", "standby_cluster", "slots", "ignore_slots", "member_slots_ttl");
    /** Patroni keys Baton keeps in the key but does not act on. */
    private static final Set<String> PATRONI_ONLY = Set.of("check_timeline", "primary_stop_timeout", "master_stop_timeout", "max_timelines_history");

    private ConfigEdit() {
    }

    /** One change, applied in the order given: a merge of a document, or one key set (value null: removed). */
    sealed interface Edit permits SetKey, Merge, Replace {
    }

    /** The whole config replaced by a document ({@code --replace}); its null values are left out. */
    record Replace(ObjectNode document, String source) implements Edit {
    }

    /** {@code path} set to {@code value}; a null value removes the key. */
    record SetKey(List<String> path, JsonNode value, String source) implements Edit {
    }

    /** A document merged in: maps recursively, null removes, anything else replaces. */
    record Merge(ObjectNode document, String source) implements Edit {
    }

    /** {@code --set KEY=VALUE}: dotted KEY; VALUE read as YAML (2 is a number, false a boolean); empty or null removes. */
    static SetKey parseSet(String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw ExitException.badInput("--set: must be KEY=VALUE, got \"" + kv + "\"");
        }
        String key = kv.substring(0, eq).strip();
        List<String> path = new ArrayList<>(Arrays.asList(key.split("\\.", -1)));
        if (path.stream().anyMatch(String::isEmpty)) {
            throw ExitException.badInput("--set: \"" + key + "\" is not a dotted key like postgresql.use_slots");
        }
        if (path.size() > 3 && path.subList(0, 2).equals(PARAMETERS_PATH)) {
            // PostgreSQL parameter names may contain dots (pg_stat_statements.max): keep them whole.
            String name = String.join(".", path.subList(2, path.size()));
            path = new ArrayList<>(PARAMETERS_PATH);
            path.add(name);
        }
        return new SetKey(List.copyOf(path), value(kv.substring(eq + 1)), "--set " + kv);
    }

    /** {@code --pg NAME=VALUE}: sets postgresql.parameters.NAME. */
    static SetKey parsePg(String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw ExitException.badInput("--pg: must be NAME=VALUE, got \"" + kv + "\"");
        }
        String name = kv.substring(0, eq).strip();
        if (!PARAMETER_NAME.matcher(name).matches()) {
            throw ExitException.badInput("--pg: \"" + name + "\" is not a PostgreSQL parameter name "
                    + "(lower case letters, digits, '_' and '.')");
        }
        List<String> path = new ArrayList<>(PARAMETERS_PATH);
        path.add(name);
        return new SetKey(List.copyOf(path), value(kv.substring(eq + 1)), "--pg " + kv);
    }

    /** A value as YAML reads it; null for "", "null" and "~" (remove the key). Unreadable YAML is taken as text. */
    static JsonNode value(String text) {
        if (text.isBlank()) {
            return null;
        }
        JsonNode n;
        try {
            n = Formats.yamlMapper().readTree(text);
        } catch (IOException e) {
            return TextNode.valueOf(text);
        }
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        return n;
    }

    /** Reads a YAML or JSON document to merge (--apply); an empty document changes nothing. */
    static Merge parseDocument(String text, String source) {
        return parseDocument("--apply", text, source);
    }

    /** Reads the YAML or JSON document of {@code option} (--apply, --replace); an empty one is an empty map. */
    static Merge parseDocument(String option, String text, String source) {
        JsonNode n;
        try {
            n = Formats.yamlMapper().readTree(text);
        } catch (IOException e) {
            throw ExitException.badInput(option + " " + source + ": not valid YAML or JSON: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || n.isMissingNode() || n.isNull()) {
            return new Merge(Formats.JSON.createObjectNode(), source);
        }
        if (!(n instanceof ObjectNode o)) {
            throw ExitException.badInput(option + " " + source + ": must be a map of configuration keys, got "
                    + n.getNodeType().toString().toLowerCase());
        }
        return new Merge(o, source);
    }

    /** The config after the edits, on a copy of {@code before}. */
    static ObjectNode apply(ObjectNode before, List<Edit> edits) {
        ObjectNode after = before.deepCopy();
        for (Edit e : edits) {
            if (e instanceof Replace r) {
                after.removeAll();
                merge(after, r.document());
            } else if (e instanceof Merge m) {
                merge(after, m.document());
            } else if (e instanceof SetKey s) {
                set(after, s);
            }
        }
        return after;
    }

    private static void merge(ObjectNode target, ObjectNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v == null || v.isNull()) {
                target.remove(f.getKey());
            } else if (v.isObject() && target.get(f.getKey()) instanceof ObjectNode t) {
                merge(t, (ObjectNode) v);
            } else {
                target.set(f.getKey(), v.deepCopy());
            }
        }
    }

    private static void set(ObjectNode root, SetKey s) {
        ObjectNode node = root;
        List<String> path = s.path();
        for (int i = 0; i < path.size() - 1; i++) {
            JsonNode child = node.get(path.get(i));
            if (child == null || child.isNull()) {
                if (s.value() == null) {
                    return;
                }
                child = node.putObject(path.get(i));
            } else if (!(child instanceof ObjectNode)) {
                throw ExitException.badInput(s.source() + ": " + String.join(".", path.subList(0, i + 1))
                        + " is not a map (it holds " + child + ")");
            }
            node = (ObjectNode) child;
        }
        String last = path.get(path.size() - 1);
        if (s.value() == null) {
            node.remove(last);
        } else {
            node.set(last, s.value().deepCopy());
        }
    }

    /** Every reason the config would be refused: Baton's rules for the key, then the parameters. */
    static List<String> validate(ObjectNode config) {
        Set<String> errors = new LinkedHashSet<>();
        DynamicConfig parsed = null;
        try {
            parsed = DynamicConfig.fromJson(config.toString());
        } catch (ConfigException e) {
            e.errors().forEach(x -> errors.add(x.toString()));
        }
        if (parsed != null) {
            for (ConfigError x : parsed.validate("config")) {
                errors.add(x.toString());
            }
        }
        JsonNode params = config.path("postgresql").path("parameters");
        if (params.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                String path = "config.postgresql.parameters." + f.getKey();
                if (!PARAMETER_NAME.matcher(f.getKey()).matches()) {
                    errors.add(path + ": not a PostgreSQL parameter name (lower case letters, digits, '_' and '.')");
                }
                JsonNode v = f.getValue();
                if (v == null || v.isNull() || (v.isValueNode() && v.asText().isBlank())) {
                    errors.add(path + ": has no value (to remove a parameter, give it an empty value: --pg "
                            + f.getKey() + "=)");
                } else if (!v.isValueNode()) {
                    errors.add(path + ": must be a single value, got a " + (v.isArray() ? "list" : "map"));
                }
            }
        } else if (!params.isMissingNode() && !params.isNull()) {
            errors.add("config.postgresql.parameters: must be a map of parameter names to values");
        }
        return List.copyOf(errors);
    }

    /** Warnings about top-level keys that the edit added or changed and that Baton does not act on. */
    static List<String> warnings(ObjectNode before, ObjectNode after) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = after.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (after.get(k).equals(before.get(k)) || KNOWN.contains(k)) {
                continue;
            }
            out.add(PATRONI_ONLY.contains(k)
                    ? "config." + k + ": a Patroni setting Baton does not support; it is kept in the key but ignored"
                    : "config." + k + ": unknown key (a typo?); it is kept in the key but Baton ignores it");
        }
        return out;
    }

    /** The config as edit-config shows it. */
    static String yaml(ObjectNode config) {
        return Formats.yaml(config);
    }

    /** A unified diff of two texts (line based, 3 lines of context); "" when they are equal. */
    static String diff(String before, String after, String fromName, String toName) {
        List<String> a = before.lines().toList();
        List<String> b = after.lines().toList();
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        // The edit script: ' ' kept, '-' removed, '+' added, with line numbers in a and b.
        List<char[]> ops = new ArrayList<>();
        List<int[]> pos = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                ops.add(new char[] {' '});
                pos.add(new int[] {i++, j++});
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                ops.add(new char[] {'-'});
                pos.add(new int[] {i++, j});
            } else {
                ops.add(new char[] {'+'});
                pos.add(new int[] {i, j++});
            }
        }
        if (ops.stream().allMatch(o -> o[0] == ' ')) {
            return "";
        }
        StringBuilder sb = new StringBuilder("--- ").append(fromName).append('\n')
                .append("+++ ").append(toName).append('\n');
        int k = 0;
        int context = 3;
        while (k < ops.size()) {
            if (ops.get(k)[0] == ' ') {
                k++;
                continue;
            }
            int start = Math.max(0, k - context);
            int end = k;
            // extend the hunk while changes are within 2*context lines of each other
            int last = k;
            while (end < ops.size()) {
                if (ops.get(end)[0] != ' ') {
                    last = end;
                } else if (end - last > 2 * context) {
                    break;
                }
                end++;
            }
            end = Math.min(ops.size(), last + context + 1);
            int aStart = pos.get(start)[0];
            int bStart = pos.get(start)[1];
            int aLen = 0;
            int bLen = 0;
            StringBuilder body = new StringBuilder();
            for (int x = start; x < end; x++) {
                char op = ops.get(x)[0];
                int[] p = pos.get(x);
                String line = op == '+' ? b.get(p[1]) : a.get(p[0]);
                body.append(op).append(line).append('\n');
                if (op != '+') {
                    aLen++;
                }
                if (op != '-') {
                    bLen++;
                }
            }
            sb.append("@@ -").append(range(aStart, aLen)).append(" +").append(range(bStart, bLen)).append(" @@\n");
            sb.append(body);
            k = end;
        }
        return sb.toString();
    }

    private static String range(int start, int len) {
        int first = len == 0 ? start : start + 1;
        return len == 1 ? Integer.toString(first) : first + "," + len;
    }
}
