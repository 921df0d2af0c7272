package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link FailoverKey#parse}: the forms Patroni accepts, described there. Pure, never throws on any input. */
final class FailoverKeyParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Member names as Baton's configuration allows them. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,256}");

    /** Patroni's legacy plain-text form: {@code leader}, {@code leader:candidate} or {@code :candidate}. */
    private static final Pattern LEGACY = Pattern.compile("\\s*([A-Za-z0-9_.-]*)\\s*(?::\\s*([A-Za-z0-9_.-]*)\\s*)?");

    /** Date, time (T, t or a space between), optional seconds and fraction, optional offset (checked apart). */
    private static final Pattern TIME = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2})"
            + "(?::(\\d{2})(?:[.,](\\d{1,9})\\d*)?)?\\s*(Z|z|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?)?");

    private FailoverKeyParser() {
    }

    static Optional<FailoverKey> parse(String value, long modRevision) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        JsonNode n;
        try {
            n = JSON.readTree(value);
        } catch (Exception e) {
            return Optional.of(legacy(value, modRevision));
        }
        if (n == null || !n.isObject()) {
            return invalid(value, "not a JSON object", modRevision);
        }
        String leader;
        String member;
        try {
            leader = name(n, "leader");
            member = name(n, "member");
        } catch (IllegalArgumentException e) {
            return invalid(value, e.getMessage(), modRevision);
        }
        if (leader == null && member == null) {
            return Optional.empty();
        }
        JsonNode at = n.get("scheduled_at");
        OffsetDateTime scheduledAt = null;
        if (at != null && !at.isNull() && !(at.isTextual() && at.textValue().isBlank())) {
            if (!at.isTextual()) {
                return invalid(value, "scheduled_at is not a string", modRevision);
            }
            try {
                scheduledAt = time(at.textValue());
            } catch (IllegalArgumentException e) {
                return invalid(value, e.getMessage(), modRevision);
            }
        }
        return Optional.of(new FailoverRequest(leader, member, scheduledAt, modRevision));
    }

    static OffsetDateTime time(String text) {
        Matcher m = TIME.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("scheduled_at \"" + shown(text) + "\" is not an ISO-8601 time "
                    + "such as 2026-01-02T03:04:05+00:00");
        }
        if (m.group(8) == null) {
            throw new IllegalArgumentException("scheduled_at \"" + shown(text) + "\" has no time zone offset");
        }
        try {
            String fraction = m.group(7) == null ? "0" : (m.group(7) + "00000000").substring(0, 9);
            LocalTime t = LocalTime.of(Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                    m.group(6) == null ? 0 : Integer.parseInt(m.group(6)), Integer.parseInt(fraction));
            LocalDate d = LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)));
            return OffsetDateTime.of(d, t, offset(m.group(8)));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("scheduled_at \"" + shown(text) + "\" is not a valid time: "
                    + e.getMessage());
        }
    }

    private static ZoneOffset offset(String s) {
        if (s.equalsIgnoreCase("Z") || s.equals("UTC") || s.equals("GMT")) {
            return ZoneOffset.UTC;
        }
        String digits = s.substring(1).replace(":", "");
        int hours = Integer.parseInt(digits.substring(0, 2));
        int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
        int sign = s.charAt(0) == '-' ? -1 : 1;
        return ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
    }

    private static FailoverKey legacy(String value, long modRevision) {
        Matcher m = LEGACY.matcher(value);
        if (!m.matches() || (m.group(1).isEmpty() && (m.group(2) == null || m.group(2).isEmpty()))) {
            return new FailoverKey.Invalid(value, "neither JSON nor Patroni's legacy leader:candidate form: \"" + shown(value)
                    + "\"", modRevision);
        }
        String candidate = m.group(2) == null || m.group(2).isEmpty() ? null : m.group(2);
        return new FailoverRequest(m.group(1).isEmpty() ? null : m.group(1), candidate, null, modRevision);
    }

    /** A name field: null when absent or empty. */
    private static String name(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.textValue().isEmpty())) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        if (!NAME.matcher(v.textValue()).matches()) {
            throw new IllegalArgumentException(field + " \"" + shown(v.textValue())
                    + "\" is not a member name (letters, digits, '_', '.' and '-')");
        }
        return v.textValue();
    }

    private static Optional<FailoverKey> invalid(String value, String reason, long modRevision) {
        return Optional.of(new FailoverKey.Invalid(value, reason, modRevision));
    }

    /** At most 60 characters of {@code s}, control characters escaped: it ends up in logs and sentences. */
    static String shown(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 60; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
                    ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 60 ? sb + "..." : sb.toString();
    }
}
