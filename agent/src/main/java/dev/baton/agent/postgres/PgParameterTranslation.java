package dev.baton.agent.postgres;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameters PostgreSQL renamed or replaced, translated for the version that runs, in both
 * directions where a translation exists (a pure function). Configurations outlive upgrades and
 * are shared between versions: Patroni files still carry {@code wal_keep_segments}, removed in
 * 13, and a server that reads it refuses to start. As Patroni does ({@code get_server_parameters}),
 * {@code wal_keep_segments} and {@code wal_keep_size} convert at 16MB a segment, and the
 * parameter of the running version wins when both are given. Each translation is reported.
 */
public final class PgParameterTranslation {
    private static final Pattern MEGABYTES = Pattern.compile("\\s*(\\d+)\\s*(kB|MB|GB|TB)?\\s*");

    /**
     * {@code oldName} became {@code newName} in {@code since} (as server_version_num);
     * {@code forward} converts an old value, {@code backward} a new one (null: no way back).
     */
    record Rename(String oldName, String newName, int since, UnaryOperator<String> forward,
                  UnaryOperator<String> backward) {
    }

    static final List<Rename> RENAMES = List.of(
            new Rename("wal_keep_segments", "wal_keep_size", 130000,
                    v -> Math.multiplyExact(Integer.parseInt(v.strip()), 16) + "MB",
                    v -> Long.toString((megabytes(v) + 8) / 16)),
            new Rename("checkpoint_segments", "max_wal_size", 90500,
                    v -> Math.multiplyExact(Integer.parseInt(v.strip()), 48) + "MB", null),
            new Rename("min_parallel_relation_size", "min_parallel_table_scan_size", 100000, v -> v, v -> v),
            new Rename("force_parallel_mode", "debug_parallel_query", 160000, v -> v, v -> v));

    /** The parameters to write, and one warning per parameter translated or dropped. */
    public record Result(Map<String, String> parameters, List<String> warnings) {
        public Result {
            parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
            warnings = List.copyOf(warnings);
        }
    }

    private PgParameterTranslation() {
    }

    /**
     * {@code parameters} (lower-case names) for the server of {@code version}; unchanged when the
     * version is unknown (0). A translated parameter takes the place of the one it replaces.
     */
    public static Result translate(Map<String, String> parameters, int version) {
        Map<String, String> p = new LinkedHashMap<>(parameters);
        List<String> warnings = new ArrayList<>();
        if (version <= 0) {
            return new Result(p, warnings);
        }
        String pg = "PostgreSQL " + new PgCatalog(version, Map.of()).majorName();
        for (Rename r : RENAMES) {
            boolean newer = version >= r.since();
            String from = newer ? r.oldName() : r.newName();
            String to = newer ? r.newName() : r.oldName();
            UnaryOperator<String> convert = newer ? r.forward() : r.backward();
            String value = p.get(from);
            if (value == null) {
                continue;
            }
            String why = from + " is not a parameter of " + pg + " (" + r.oldName() + " became " + r.newName()
                    + " in " + new PgCatalog(r.since(), Map.of()).majorName() + ")";
            if (p.containsKey(to)) {
                p.remove(from);
                warnings.add(why + ": dropped, " + to + " is set");
                continue;
            }
            String converted;
            try {
                converted = convert == null ? null : convert.apply(value);
            } catch (RuntimeException e) {
                converted = null;
            }
            if (converted == null) {
                p.remove(from);
                warnings.add(why + ": dropped, \"" + value + "\" has no " + to + " equivalent");
                continue;
            }
            p = replaceKey(p, from, to, converted);
            warnings.add(why + ": written as " + to + " = '" + converted + "'");
        }
        return new Result(p, warnings);
    }

    private static Map<String, String> replaceKey(Map<String, String> in, String from, String to, String value) {
        Map<String, String> out = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            if (k.equals(from)) {
                out.put(to, value);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    /** A size in MB (wal_keep_size's unit when none is given). */
    private static long megabytes(String v) {
        Matcher m = MEGABYTES.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException(v);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "MB" : m.group(2);
        return switch (unit) {
            case "kB" -> n / 1024;
            case "GB" -> n * 1024;
            case "TB" -> n * 1024 * 1024;
            default -> n;
        };
    }
}
