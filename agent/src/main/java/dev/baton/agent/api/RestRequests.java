package dev.baton.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.FailoverKey;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a client sends, parsed into typed requests by pure functions: every input gives either a
 * value or a {@link Parsed.Bad} message for a 400, never an exception (a REST client must not be
 * able to cause a 500). Property-tested with arbitrary input.
 */
public final class RestRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RestRequests() {
    }

    /** A value, or why the request is malformed. */
    public sealed interface Parsed<T> {
        /** The parsed value. */
        record Ok<T>(T value) implements Parsed<T> {
        }

        /** The 400 message. */
        record Bad<T>(String message) implements Parsed<T> {
        }
    }

    private static <T> Parsed<T> ok(T value) {
        return new Parsed.Ok<>(value);
    }

    private static <T> Parsed<T> bad(String message) {
        return new Parsed.Bad<>(message);
    }

    /**
     * POST /switchover and POST /failover: Patroni's body. {@code scheduledAt} null means now.
     *
     * @param leader    the leader the operator expects, or null
     * @param candidate the member to take over, or null for "any eligible"
     */
    public record Takeover(String leader, String candidate, OffsetDateTime scheduledAt) {
    }

    /**
     * POST /restart, Patroni's body: {@code role} null, primary/master, replica or any; only if a
     * restart is pending; only if PostgreSQL is older than {@code postgresVersion} (null: any);
     * {@code timeoutSeconds} for the start (null: the default); at {@code schedule} (null: now).
     */
    public record Restart(String role, boolean pendingOnly, String postgresVersion, Integer timeoutSeconds,
                          OffsetDateTime schedule) {
        public Restart(String role, boolean pendingOnly) {
            this(role, pendingOnly, null, null, null);
        }
    }

    private static final Set<String> ROLES = Set.of("primary", "master", "replica", "any");

    /**
     * POST /fence: another member says it took the leader key after this node's lease expired.
     *
     * @param leader  the member that holds the leader key now (a member name)
     * @param timeout how long stopping postgres may take, {@link #FENCE_MIN_SECONDS} to {@link #FENCE_MAX_SECONDS}
     */
    public record Fence(String leader, Duration timeout) {
    }

    /** The bounds and default of {@code POST /fence}'s {@code timeout}, in seconds. */
    public static final int FENCE_MIN_SECONDS = 1;
    public static final int FENCE_MAX_SECONDS = 60;
    public static final int FENCE_DEFAULT_SECONDS = 10;

    /** A member name as the configuration accepts it ({@code name}), bounded in length. */
    private static final Pattern MEMBER_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    /** The query string ({@code a=1&b}) as a map; a malformed %-escape is a 400 naming it. */
    public static Parsed<Map<String, String>> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return ok(q);
        }
        try {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                q.put(k, v);
            }
        } catch (IllegalArgumentException e) {
            return bad("malformed query string: " + e.getMessage());
        }
        return ok(q);
    }

    /** The body as a JSON object; an empty body is an empty object (patronictl sends none for some actions). */
    public static Parsed<JsonNode> object(String body) {
        if (body == null || body.isBlank()) {
            return ok(JSON.createObjectNode());
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                return bad("the request body must be a JSON object");
            }
            return ok(n);
        } catch (JsonProcessingException e) {
            // The parser quotes the offending input: keep control characters out of answers and logs.
            return bad("the request body is not valid JSON: "
                    + e.getOriginalMessage().codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append));
        }
    }

    /**
     * POST /reinitialize: whether {@code force} is asked (Patroni's {@code {"force": true}}: cancel
     * a long action in progress); an empty body is no force. Other fields are ignored, as in Patroni.
     */
    public static Parsed<Boolean> reinitialize(String body) {
        Parsed<JsonNode> json = object(body);
        if (json instanceof Parsed.Bad<JsonNode> b) {
            return bad(b.message());
        }
        JsonNode f = ((Parsed.Ok<JsonNode>) json).value().get("force");
        if (f == null || f.isNull()) {
            return ok(false);
        }
        if (!f.isBoolean()) {
            return bad("force must be true or false; got " + printable(f.toString()));
        }
        return ok(f.booleanValue());
    }

    /** POST /switchover ({@code planned}) or POST /failover: only a switchover can be scheduled, a failover needs a candidate. */
    public static Parsed<Takeover> takeover(String body, boolean planned) {
        Parsed<JsonNode> json = object(body);
        if (json instanceof Parsed.Bad<JsonNode> b) {
            return bad(b.message());
        }
        JsonNode req = ((Parsed.Ok<JsonNode>) json).value();
        String scheduled = text(req, "scheduled_at");
        OffsetDateTime at = null;
        if (scheduled != null && !scheduled.equals("now")) {
            try {
                // The forms Patroni accepts (a space for the T, Z/UTC/+HH/+HHMM/+HH:MM), as in the key.
                at = FailoverKey.scheduledAt(scheduled);
            } catch (IllegalArgumentException | DateTimeParseException e) {
                return bad("scheduled_at must be an ISO-8601 time with an offset, e.g. "
                        + "2026-01-02T03:04:05+00:00; got \"" + printable(scheduled) + "\"");
            }
            if (!planned) {
                return bad("a failover cannot be scheduled; use a switchover");
            }
        }
        String candidate = text(req, "candidate");
        if (!planned && candidate == null) {
            return bad("Failover could be performed only to a specific candidate");
        }
        return ok(new Takeover(text(req, "leader"), candidate, at));
    }

    /**
     * POST /restart, validated as Patroni's {@code do_POST_restart} does (an unknown field is a 400
     * too), with Baton's 400 also for a schedule that cannot be read. Whether the schedule is in
     * the past is the agent's check (422), as it needs the clock.
     */
    public static Parsed<Restart> restart(String body) {
        Parsed<JsonNode> json = object(body);
        if (json instanceof Parsed.Bad<JsonNode> b) {
            return bad(b.message());
        }
        JsonNode req = ((Parsed.Ok<JsonNode>) json).value();
        for (java.util.Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!RESTART_FIELDS.contains(k)) {
                return bad("Unknown filter for the scheduled restart: " + printable(k));
            }
        }
        JsonNode r = req.get("role");
        String role = null;
        if (r != null && !r.isNull()) {
            if (!r.isTextual() || !ROLES.contains(r.asText())) {
                return bad("PostgreSQL role should be either primary or replica; got " + printable(r.toString()));
            }
            role = r.asText();
        }
        JsonNode v = req.get("postgres_version");
        String version = null;
        if (v != null && !v.isNull()) {
            if (!v.isTextual() || dev.baton.agent.ha.OperatorPolicy.postgresVersionNumber(v.asText()).isEmpty()) {
                return bad("Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: " + printable(v.asText()));
            }
            version = v.asText();
        }
        JsonNode t = req.get("timeout");
        Integer timeout = null;
        if (t != null && !t.isNull()) {
            timeout = seconds(t);
            if (timeout == null) {
                return bad("Timeout should be a positive number of seconds (at most a day); got "
                        + printable(t.toString()));
            }
        }
        JsonNode s = req.get("schedule");
        OffsetDateTime at = null;
        if (s != null && !s.isNull()) {
            if (!s.isTextual()) {
                return bad("schedule must be an ISO-8601 time with an offset, e.g. 2026-01-02T03:04:05+00:00");
            }
            try {
                at = FailoverKey.scheduledAt(s.asText());
            } catch (IllegalArgumentException | DateTimeParseException e) {
                return bad("Unable to parse scheduled timestamp: it must be an ISO-8601 time with an offset "
                        + "(timezone information is mandatory), e.g. 2026-01-02T03:04:05+00:00; got \""
                        + printable(s.asText()) + "\"");
            }
        }
        return ok(new Restart(role, req.path("restart_pending").asBoolean(false), version, timeout, at));
    }

    private static final Set<String> RESTART_FIELDS = Set.of("role", "restart_pending", "postgres_version", "timeout",
            "schedule");

    /** A timeout as Patroni's {@code parse_int(value, 's')} reads it, bounded: 1 s to a day; null otherwise. */
    private static Integer seconds(JsonNode t) {
        long s;
        if (t.isIntegralNumber() && t.canConvertToLong()) {
            s = t.longValue();
        } else if (t.isTextual()) {
            java.util.regex.Matcher m = Pattern.compile("\\s*(\\d{1,6})\\s*(s|min|h)?\\s*").matcher(t.asText());
            if (!m.matches()) {
                return null;
            }
            long n = Long.parseLong(m.group(1));
            s = m.group(2) == null || m.group(2).equals("s") ? n : m.group(2).equals("min") ? n * 60 : n * 3600;
        } else {
            return null;
        }
        return s >= 1 && s <= 86_400 ? (int) s : null;
    }

    /**
     * POST /fence: {@code {"leader": "node2", "timeout": 5}}. {@code leader} is required and must
     * be a member name; {@code timeout} is optional, whole seconds within the bounds. Other fields
     * are ignored, as on the other endpoints.
     */
    public static Parsed<Fence> fence(String body) {
        if (body == null || body.isBlank()) {
            return bad("fence needs a JSON body naming the leader: {\"leader\": \"<member>\"}");
        }
        Parsed<JsonNode> json = object(body);
        if (json instanceof Parsed.Bad<JsonNode> b) {
            return bad(b.message());
        }
        JsonNode req = ((Parsed.Ok<JsonNode>) json).value();
        JsonNode leader = req.get("leader");
        if (leader == null || leader.isNull()) {
            return bad("fence needs a leader: the member that holds the leader key now");
        }
        if (!leader.isTextual()) {
            return bad("leader must be a string (a member name)");
        }
        if (!MEMBER_NAME.matcher(leader.asText()).matches()) {
            return bad("leader must be a member name (letters, digits, '_', '.' and '-', at most 128); got \""
                    + printable(leader.asText()) + "\"");
        }
        JsonNode t = req.get("timeout");
        int seconds = FENCE_DEFAULT_SECONDS;
        if (t != null && !t.isNull()) {
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < FENCE_MIN_SECONDS
                    || t.asInt() > FENCE_MAX_SECONDS) {
                return bad("timeout must be a whole number of seconds from " + FENCE_MIN_SECONDS + " to "
                        + FENCE_MAX_SECONDS + "; got " + printable(t.toString()));
            }
            seconds = t.asInt();
        }
        return ok(new Fence(leader.asText(), Duration.ofSeconds(seconds)));
    }

    /** POST /backup: the type (full unless given) and whether a replica is asked to take it. */
    public record Backup(dev.baton.agent.backup.BackupType type, boolean fromReplica) {
    }

    /**
     * POST /backup: {@code {"type": "full|diff|incr", "from_replica": false}}, both optional (an
     * empty body is a full backup). Other fields are ignored, as on the other endpoints.
     */
    public static Parsed<Backup> backup(String body) {
        Parsed<JsonNode> json = object(body);
        if (json instanceof Parsed.Bad<JsonNode> b) {
            return bad(b.message());
        }
        JsonNode req = ((Parsed.Ok<JsonNode>) json).value();
        dev.baton.agent.backup.BackupType type = dev.baton.agent.backup.BackupType.FULL;
        JsonNode t = req.get("type");
        if (t != null && !t.isNull()) {
            java.util.Optional<dev.baton.agent.backup.BackupType> known = t.isTextual()
                    ? dev.baton.agent.backup.BackupType.of(t.asText()) : java.util.Optional.empty();
            if (known.isEmpty()) {
                return bad("type must be full, diff or incr; got " + (t.isTextual() ? "\"" + printable(t.asText())
                        + "\"" : printable(t.toString())));
            }
            type = known.get();
        }
        JsonNode r = req.get("from_replica");
        if (r != null && !r.isNull() && !r.isBoolean()) {
            return bad("from_replica must be true or false; got " + printable(r.toString()));
        }
        return ok(new Backup(type, r != null && r.asBoolean(false)));
    }

    /** A field's text; absent, null and "" are all null. */
    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    /** A client's text in a message: control characters as '?', at most 64 characters. */
    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.chars().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
