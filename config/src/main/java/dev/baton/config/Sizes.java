package dev.baton.config;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL-style byte sizes: "1048576", "512kB", "16MB", "1GB", "1TB" (1024-based, units
 * case-insensitive, blanks around the number and the unit allowed). One parser for every place
 * that reads a size, so that the configuration and the REST API accept the same texts.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("\\s*(-?[0-9]+)\\s*([A-Za-z]*)\\s*");
    private static final Map<String, Long> UNITS = Map.of(
            "", 1L, "b", 1L, "kb", 1L << 10, "mb", 1L << 20, "gb", 1L << 30, "tb", 1L << 40);

    private Sizes() {
    }

    /**
     * Parses a byte count with an optional unit (B, kB, MB, GB, TB; case-insensitive). A negative
     * count is returned as such, for the caller's own range check and message.
     *
     * @throws IllegalArgumentException if the text is not such a size or overflows a long
     */
    public static long parseBytes(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text);
        Long unit = m.matches() ? UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
        if (unit == null) {
            throw new IllegalArgumentException("not a size: \"" + text + "\"");
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size too large: \"" + text + "\"");
        }
    }

    /**
     * A size given by a client (such as {@code ?lag=10MB}): as {@link #parseBytes}, but only 0 and
     * up. Empty for anything else: null, not a size, an unknown unit, a sign (also "-0") or a value
     * that does not fit a long once scaled. Never throws, so a request can answer "no" to bad input.
     */
    public static OptionalLong parseNonNegative(String text) {
        if (text == null || text.strip().startsWith("-")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(parseBytes(text));
        } catch (IllegalArgumentException e) {
            return OptionalLong.empty();
        }
    }
}
