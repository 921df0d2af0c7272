package dev.baton.agent.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values in the REST API read and written as Patroni does, so that load-balancer checks and
 * scripts written for Patroni get the same answers. Pure functions; never throw.
 */
final class PatroniFormats {

    private PatroniFormats() {
    }

    // Patroni's strtol(3)/strtod(3) look-alikes (patroni/utils.py), tried in this order.
    private static final Pattern HEX = Pattern.compile("[-+]?0x[0-9a-fA-F]+");
    private static final Pattern OCT = Pattern.compile("[-+]?0[0-7]*");
    private static final Pattern DEC = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
    private static final Pattern DBL = Pattern.compile("[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?");
    /** Bytes per unit (1024-based, case-sensitive: {@code 16mb} is no size, as in postgres and Patroni). */
    private static final Map<String, Long> UNITS = Map.of("B", 1L, "kB", 1L << 10, "MB", 1L << 20, "GB", 1L << 30,
            "TB", 1L << 40);
    /** What a value in a unit is rounded to: the next smaller unit (Patroni's round_order). */
    private static final Map<String, Long> ROUND_TO = Map.of("kB", 1L, "MB", 1L << 10, "GB", 1L << 20, "TB", 1L << 30);
    /** Longer values are not parsed (a query string is short; this only bounds the work). */
    private static final int MAX_LENGTH = 200;

    /**
     * A size in bytes as Patroni's {@code parse_int(value, 'B')} reads the {@code lag} query
     * parameter: an integer (decimal, {@code 0x} hex, {@code 0} octal) or a decimal fraction, with
     * an optional unit {@code B}, {@code kB}, {@code MB}, {@code GB}, {@code TB}; negative values are
     * allowed. Empty when it is no size (Patroni then ignores the parameter). Beyond the range of a
     * long the value is clamped to it (Python's integers have no bound; the comparison's outcome is
     * the same).
     */
    static OptionalLong bytes(String value) {
        if (value == null || value.length() > MAX_LENGTH) {
            return OptionalLong.empty();
        }
        String v = value.strip();
        BigDecimal number = null;
        String unit = v;
        for (Pattern p : new Pattern[] {HEX, OCT, DEC}) {
            Matcher m = p.matcher(v);
            if (m.lookingAt()) {
                number = new BigDecimal(integer(m.group(), p == HEX ? 16 : p == OCT ? 8 : 10));
                unit = v.substring(m.end());
                break;
            }
        }
        if ((number == null && unit.startsWith(".")) || (!unit.isEmpty() && ".eE".indexOf(unit.charAt(0)) >= 0)) {
            Matcher m = DBL.matcher(v);
            if (m.lookingAt()) {
                BigDecimal d = decimal(m.group());
                if (d == null) {
                    return OptionalLong.empty();
                }
                number = d;
                unit = v.substring(m.end());
            } else {
                number = null;
            }
        }
        if (number == null) {
            return OptionalLong.empty();
        }
        unit = unit.strip();
        if (!unit.isEmpty()) {
            Long factor = UNITS.get(unit);
            if (factor == null) {
                return OptionalLong.empty();
            }
            number = number.multiply(BigDecimal.valueOf(factor));
            Long step = ROUND_TO.get(unit);
            if (step != null) {
                BigDecimal s = BigDecimal.valueOf(step);
                number = number.divide(s, 0, RoundingMode.HALF_EVEN).multiply(s);
            }
        }
        return OptionalLong.of(clamp(number.setScale(0, RoundingMode.HALF_EVEN).toBigInteger()));
    }

    private static BigInteger integer(String text, int radix) {
        String t = text;
        boolean negative = t.startsWith("-");
        if (t.startsWith("-") || t.startsWith("+")) {
            t = t.substring(1);
        }
        if (radix == 16) {
            t = t.substring(2);
        }
        BigInteger n = t.isEmpty() ? BigInteger.ZERO : new BigInteger(t, radix);
        return negative ? n.negate() : n;
    }

    /** A decimal with an exponent Python's float could hold (beyond it: clamped like any other huge value). */
    private static BigDecimal decimal(String text) {
        try {
            BigDecimal d = new BigDecimal(text.startsWith("+") ? text.substring(1) : text);
            if (d.scale() < -400) {
                return new BigDecimal(d.signum() < 0 ? "-1e400" : "1e400");
            }
            if (d.scale() > 400) {
                return BigDecimal.ZERO;
            }
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    private static long clamp(BigInteger n) {
        if (n.bitLength() < 64) {
            return n.longValue();
        }
        return n.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    /**
     * Whether a configured tag value matches a {@code ?tag_<k>=<v>} value as Patroni compares them:
     * a text tag exactly, any other value (a boolean, a number) as its lower-case text.
     */
    static boolean tagMatches(Object tag, String wanted) {
        if (tag == null) {
            return false;
        }
        String have = tag instanceof String t ? t : String.valueOf(tag).toLowerCase(java.util.Locale.ROOT);
        return have.equals(wanted);
    }

    /**
     * A time as Python's {@code datetime.isoformat()} writes it, which Patroni uses in its answers
     * ({@code 2026-01-01T10:00:00+00:00}, with {@code .ffffff} only when there are microseconds).
     */
    static String isoformat(java.time.OffsetDateTime t) {
        java.time.OffsetDateTime u = t.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        String micros = u.getNano() == 0 ? "" : String.format(".%06d", u.getNano() / 1000);
        return u.format(java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")) + micros
                + u.format(java.time.format.DateTimeFormatter.ofPattern("xxx"));
    }

    private static final Pattern PG_TIME = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)(?:\\.(\\d{1,6}))?([+-]\\d\\d)(?::?(\\d\\d))?");

    /**
     * A timestamp postgres printed as text ({@code 2025-06-01 12:00:01.12+00}) the way Patroni's
     * JSON shows the same value (Python's {@code str(datetime)}: {@code 2025-06-01 12:00:01.120000+00:00});
     * anything else unchanged, null as null.
     */
    static String timestamp(String pg) {
        if (pg == null) {
            return null;
        }
        Matcher m = PG_TIME.matcher(pg);
        if (!m.matches()) {
            return pg;
        }
        String fraction = m.group(2) == null || m.group(2).chars().allMatch(c -> c == '0') ? ""
                : "." + (m.group(2) + "00000").substring(0, 6);
        return m.group(1) + fraction + m.group(3) + ":" + (m.group(4) == null ? "00" : m.group(4));
    }
}
