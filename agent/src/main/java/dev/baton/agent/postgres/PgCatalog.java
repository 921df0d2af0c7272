package dev.baton.agent.postgres;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters one PostgreSQL build knows, read from its own binaries ({@code postgres --version}
 * and {@code postgres --describe-config}, see {@link PgBinaries#catalog}), so that Baton checks
 * names and values against the server it runs rather than a list of its own that would age. A
 * {@link #unknown()} catalog (binaries that could not be asked) checks nothing.
 *
 * @param version  as {@code server_version_num}: 150004 for 15.4, 90624 for 9.6.24; 0 when unknown
 * @param settings by lower-case name; empty when unknown
 */
public record PgCatalog(int version, Map<String, Setting> settings) {
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    public PgCatalog {
        settings = Map.copyOf(settings);
    }

    /** When a change of the parameter takes effect, as {@code pg_settings.context} says. */
    public enum Context {
        INTERNAL, POSTMASTER, SIGHUP, SUPERUSER_BACKEND, BACKEND, SUPERUSER, USER;

        static Context parse(String s) {
            return valueOf(s.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** {@code pg_settings.vartype}. */
    public enum Type {
        BOOLEAN, INTEGER, REAL, STRING, ENUM
    }

    /**
     * One parameter. {@code min} and {@code max} are in the parameter's base unit (which
     * describe-config does not print), null when not numeric.
     */
    public record Setting(String name, Context context, Type type, Double min, Double max) {
    }

    /** A catalog that knows nothing: every parameter passes. */
    public static PgCatalog unknown() {
        return new PgCatalog(0, Map.of());
    }

    public boolean isKnown() {
        return version > 0 && !settings.isEmpty();
    }

    /** The major version as PostgreSQL names it ("15", "9.6"), or "unknown". */
    public String majorName() {
        if (version <= 0) {
            return "unknown";
        }
        return version >= 100000 ? Integer.toString(version / 10000) : version / 10000 + "." + version / 100 % 100;
    }

    public Optional<Setting> setting(String name) {
        return Optional.ofNullable(settings.get(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * Parses the output of {@code postgres --version} and {@code postgres --describe-config}: one
     * parameter a line, tab-separated name, context, group, vartype, reset value, min, max, short
     * and long description. Lines that do not have that shape are skipped.
     *
     * @throws IllegalArgumentException the version line names no PostgreSQL version, or no line is a parameter
     */
    public static PgCatalog parse(String versionOutput, String describeConfig) {
        int version = parseVersion(versionOutput);
        Map<String, Setting> settings = new LinkedHashMap<>();
        for (String line : describeConfig.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length < 7 || f[0].isBlank()) {
                continue;
            }
            try {
                Type type = Type.valueOf(f[3].strip().toUpperCase(Locale.ROOT));
                boolean numeric = type == Type.INTEGER || type == Type.REAL;
                settings.put(f[0].strip().toLowerCase(Locale.ROOT), new Setting(f[0].strip(), Context.parse(f[1]), type,
                        numeric ? number(f[5]) : null, numeric ? number(f[6]) : null));
            } catch (IllegalArgumentException e) {
                // not a parameter line (a warning printed before the list, a context of a newer release)
            }
        }
        if (!settings.containsKey("port") || !settings.containsKey("max_connections")) {
            // Never check against half a list: a parameter missing from it would be dropped.
            throw new IllegalArgumentException("postgres --describe-config listed " + settings.size()
                    + " parameters, and not port and max_connections");
        }
        return new PgCatalog(version, settings);
    }

    /** {@code postgres (PostgreSQL) 15.4 (Debian 15.4-1)} → 150004; {@code 9.6.24} → 90624. */
    static int parseVersion(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput == null ? "" : versionOutput);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL version: \"" + (versionOutput == null ? ""
                    : versionOutput.strip()) + "\"");
        }
        int major = Integer.parseInt(m.group(1));
        int second = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        if (major >= 10) {
            return major * 10000 + second;
        }
        int third = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return major * 10000 + second * 100 + third;
    }

    private static Double number(String s) {
        return s.isBlank() ? null : Double.valueOf(s.strip());
    }
}
