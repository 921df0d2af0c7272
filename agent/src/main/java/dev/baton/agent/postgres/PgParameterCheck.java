package dev.baton.agent.postgres;

import dev.baton.agent.postgres.PgCatalog.Setting;
import dev.baton.agent.postgres.PgCatalog.Type;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether PostgreSQL would accept a parameter in postgresql.conf, judged from its
 * {@link PgCatalog} (a pure function). A name it does not know, a parameter fixed at build or
 * initdb time, or a value its parser refuses makes postgres refuse to start ("configuration file
 * contains errors"); Baton drops those with a warning and {@code edit-config} refuses them.
 *
 * <p>Checked as PostgreSQL's own parsers do ({@code parse_bool}, {@code parse_int},
 * {@code parse_real}): booleans, numbers with an optional unit, and, for a number without one
 * (which is in the parameter's base unit), the minimum and maximum. What describe-config does not
 * say is not checked: which unit a parameter takes (so the range of {@code 128MB} is not checked),
 * and the values of an enum. A parameter with a dot in its name belongs to an extension, which
 * the server learns of only when it loads it: it always passes.
 */
public final class PgParameterCheck {
    private static final Set<String> UNITS = Set.of("B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d");
    /** strtol(…, 0) or strtod, then an optional unit, with blanks around: what parse_int and parse_real read. */
    private static final Pattern NUMBER = Pattern.compile(
            "\\s*([+-]?(?:0[xX][0-9a-fA-F]+|(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?))\\s*([A-Za-z]+)?\\s*");

    private PgParameterCheck() {
    }

    /**
     * Asks the server itself about a parameter its catalog does not list ({@link PgBinaries#probe}):
     * describe-config leaves out developer options and the parameters fixed at build or initdb time.
     */
    @FunctionalInterface
    public interface Probe {
        /** Why the server refuses {@code name = 'value'}, or empty. */
        Optional<String> problem(String name, String value);

        /** For when the server cannot be asked: what the catalog does not list is refused. */
        static Probe unlisted(PgCatalog catalog) {
            return (name, value) -> nameProblem(catalog, name);
        }
    }

    /**
     * Why PostgreSQL would refuse {@code name = 'value'} in postgresql.conf, or empty if it would
     * take it or Baton cannot tell (an unknown catalog, an extension's parameter). A name the
     * catalog does not list goes to {@code probe}.
     */
    public static Optional<String> problem(PgCatalog catalog, Probe probe, String name, String value) {
        if (!catalog.isKnown() || name.indexOf('.') >= 0) {
            return Optional.empty();
        }
        return catalog.setting(name).isEmpty() ? probe.problem(name, value)
                : nameProblem(catalog, name).or(() -> valueProblem(catalog, name, value));
    }

    /** Why PostgreSQL would refuse parameter {@code name}, or empty if it would take it (or cannot tell). */
    public static Optional<String> nameProblem(PgCatalog catalog, String name) {
        if (!catalog.isKnown() || name.indexOf('.') >= 0) {
            return Optional.empty();
        }
        Optional<Setting> s = catalog.setting(name);
        if (s.isEmpty()) {
            return Optional.of("is not a parameter of PostgreSQL " + catalog.majorName());
        }
        if (s.get().context() == PgCatalog.Context.INTERNAL) {
            return Optional.of("cannot be set (PostgreSQL " + catalog.majorName() + " fixes it when it is built or at initdb)");
        }
        return Optional.empty();
    }

    /** Why PostgreSQL would refuse {@code value} for parameter {@code name}, or empty. Names are checked by {@link #nameProblem}. */
    public static Optional<String> valueProblem(PgCatalog catalog, String name, String value) {
        return catalog.setting(name).flatMap(s -> valueProblem(s, value));
    }

    static Optional<String> valueProblem(Setting s, String value) {
        return switch (s.type()) {
            case BOOLEAN -> isBool(value) ? Optional.empty()
                    : Optional.of("must be a boolean (on, off, true, false, yes, no, 1, 0), got \"" + value + "\"");
            case INTEGER, REAL -> numberProblem(s, value);
            case STRING, ENUM -> Optional.empty();
        };
    }

    /** PostgreSQL's parse_bool: a prefix of true/false/yes/no, on, off (at least "of"), 1 or 0, in any case. */
    static boolean isBool(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.isEmpty()) {
            return false;
        }
        return switch (v.charAt(0)) {
            case 't' -> "true".startsWith(v);
            case 'f' -> "false".startsWith(v);
            case 'y' -> "yes".startsWith(v);
            case 'n' -> "no".startsWith(v);
            case 'o' -> v.length() >= 2 && ("on".equals(v) || "off".startsWith(v));
            case '1', '0' -> v.length() == 1;
            default -> false;
        };
    }

    private static Optional<String> numberProblem(Setting s, String value) {
        String what = s.type() == Type.INTEGER ? "an integer" : "a number";
        Matcher m = NUMBER.matcher(value);
        if (!m.matches()) {
            return Optional.of("must be " + what + ", optionally with a unit such as MB or s, got \"" + value + "\"");
        }
        String unit = m.group(2);
        if (unit != null) {
            return UNITS.contains(unit) ? Optional.empty() : Optional.of("has an unknown unit \"" + unit
                    + "\" (PostgreSQL's units: B, kB, MB, GB, TB, us, ms, s, min, h, d), got \"" + value + "\"");
        }
        double n = parse(m.group(1), s.type() == Type.INTEGER);
        if (s.type() == Type.INTEGER) {
            n = Math.rint(n);
        }
        if (Double.isNaN(n) || s.min() != null && n < s.min() || s.max() != null && n > s.max()) {
            return Optional.of("must be between " + format(s.min()) + " and " + format(s.max()) + ", got \"" + value + "\"");
        }
        return Optional.empty();
    }

    /** strtol with base 0 for integers (hexadecimal 0x…, octal with a leading 0), else strtod. */
    private static double parse(String n, boolean integer) {
        String digits = n.replaceFirst("^[+-]", "");
        double sign = n.startsWith("-") ? -1 : 1;
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            return sign * new java.math.BigInteger(digits.substring(2), 16).doubleValue();
        }
        if (integer && digits.length() > 1 && digits.startsWith("0") && digits.chars().allMatch(Character::isDigit)) {
            return digits.chars().allMatch(c -> c < '8') ? sign * new java.math.BigInteger(digits, 8).doubleValue()
                    : Double.NaN;
        }
        return Double.parseDouble(n);
    }

    private static String format(Double d) {
        if (d == null) {
            return "?";
        }
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : d.toString();
    }
}
