package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.Map;

/**
 * What a member publishes in {@code members/<name>}, in Patroni's JSON shape
 * ({@code conn_url, api_url, state, role, xlog_location, timeline, tags, version}).
 *
 * @param checkpointAfterPromote Patroni's flag: {@code false} while a freshly promoted leader has
 *                               not finished its checkpoint (a former primary must wait before it
 *                               rewinds against it); null when absent
 * @param scheduledRestart       Patroni's {@code scheduled_restart} ({@code schedule}, the conditions,
 *                               {@code postmaster_start_time}); null when none is scheduled
 */
public record MemberStatus(String name, String connUrl, String apiUrl, MemberState state, Role role,
                           long xlogLocation, int timeline, Map<String, Object> tags, String version,
                           boolean pendingRestart, boolean paused, Boolean checkpointAfterPromote,
                           Map<String, Object> scheduledRestart) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public MemberStatus {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        state = state == null ? MemberState.UNKNOWN : state;
        role = role == null ? Role.UNKNOWN : role;
        scheduledRestart = scheduledRestart == null ? null
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(scheduledRestart));
    }

    /** Without a scheduled restart. */
    public MemberStatus(String name, String connUrl, String apiUrl, MemberState state, Role role,
                        long xlogLocation, int timeline, Map<String, Object> tags, String version,
                        boolean pendingRestart, boolean paused, Boolean checkpointAfterPromote) {
        this(name, connUrl, apiUrl, state, role, xlogLocation, timeline, tags, version, pendingRestart, paused,
                checkpointAfterPromote, null);
    }

    /** With {@code scheduled} as the scheduled restart (null: none). */
    public MemberStatus withScheduledRestart(Map<String, Object> scheduled) {
        return new MemberStatus(name, connUrl, apiUrl, state, role, xlogLocation, timeline, tags, version,
                pendingRestart, paused, checkpointAfterPromote, scheduled);
    }

    /**
     * The scheduled restart as patronictl list shows it: its time, and {@code if version < X}
     * with a {@code postgres_version}; empty when none.
     */
    public String scheduledRestartText() {
        if (scheduledRestart == null || scheduledRestart.get("schedule") == null) {
            return "";
        }
        Object v = scheduledRestart.get("postgres_version");
        return scheduledRestart.get("schedule") + (v == null ? "" : " if version < " + v);
    }

    /**
     * Parses a member key's JSON; tolerant of missing fields (a Patroni member is readable too).
     * Never throws: a value that is not a JSON object gives a member in state unknown, which is not
     * running and so never a candidate; a garbage WAL position or timeline reads as 0 (unknown).
     */
    public static MemberStatus parse(String name, String json) {
        try {
            JsonNode n = JSON.readTree(json);
            @SuppressWarnings("unchecked")
            Map<String, Object> tags = n.has("tags") && n.get("tags").isObject()
                    ? JSON.convertValue(n.get("tags"), Map.class) : Map.of();
            JsonNode cap = n.get("checkpoint_after_promote");
            JsonNode sr = n.get("scheduled_restart");
            @SuppressWarnings("unchecked")
            Map<String, Object> scheduled = sr != null && sr.isObject() && sr.size() > 0
                    ? JSON.convertValue(sr, java.util.LinkedHashMap.class) : null;
            return new MemberStatus(name, n.path("conn_url").asText(null), n.path("api_url").asText(null),
                    MemberState.parse(n.path("state").asText("unknown")), Role.parse(n.path("role").asText("unknown")),
                    nonNegativeLong(n.get("xlog_location")), (int) Math.min(Integer.MAX_VALUE,
                    nonNegativeLong(n.get("timeline"))), tags,
                    n.path("version").asText(null), n.path("pending_restart").asBoolean(false),
                    n.path("pause").asBoolean(false), cap == null || cap.isNull() ? null : cap.asBoolean(true), scheduled);
        } catch (Exception e) {
            return new MemberStatus(name, null, null, MemberState.UNKNOWN, Role.UNKNOWN, 0, 0, Map.of(), null, false,
                    false, null);
        }
    }

    /** A WAL position or timeline: an integer that fits, else 0 (a garbage or negative value means "unknown"). */
    private static long nonNegativeLong(JsonNode v) {
        if (v == null) {
            return 0;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Math.max(0, v.longValue());
        }
        if (v.isTextual() && v.textValue().trim().matches("[0-9]{1,18}")) {
            return Long.parseLong(v.textValue().trim());
        }
        return 0;
    }

    /** The key's JSON, Patroni's field order; absent and default values are left out. */
    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        if (connUrl != null) {
            n.put("conn_url", connUrl);
        }
        if (apiUrl != null) {
            n.put("api_url", apiUrl);
        }
        n.put("state", state.wire());
        n.put("role", role.wire());
        if (version != null) {
            n.put("version", version);
        }
        if (xlogLocation > 0) {
            n.put("xlog_location", xlogLocation);
        }
        if (timeline > 0) {
            n.put("timeline", timeline);
        }
        if (!tags.isEmpty()) {
            n.set("tags", JSON.valueToTree(tags));
        }
        if (pendingRestart) {
            n.put("pending_restart", true);
        }
        if (paused) {
            n.put("pause", true);
        }
        if (checkpointAfterPromote != null) {
            n.put("checkpoint_after_promote", checkpointAfterPromote);
        }
        if (scheduledRestart != null) {
            n.set("scheduled_restart", JSON.valueToTree(scheduledRestart));
        }
        return n.toString();
    }

    /** Host of conn_url ({@code postgres://host:port/postgres}), or null. */
    public String host() {
        URI u = uri(connUrl);
        return u == null ? null : u.getHost();
    }

    /** Port of conn_url, 5432 when absent, 0 when there is no conn_url. */
    public int port() {
        URI u = uri(connUrl);
        return u == null ? 0 : (u.getPort() > 0 ? u.getPort() : 5432);
    }

    public boolean isRunning() {
        return state.isRunning();
    }

    public boolean isPrimary() {
        return role == Role.PRIMARY;
    }

    /** A boolean tag: true, or a string or number that says so ("true", "yes", "on", "1"), as Patroni's parse_bool reads it. */
    public boolean tag(String name) {
        Object v = tags.get(name);
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        return v != null && switch (String.valueOf(v).trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            default -> false;
        };
    }

    /** Patroni's nosync tag: never chosen as a synchronous standby. */
    public boolean nosync() {
        return tag("nosync");
    }

    /**
     * Never promoted, as Patroni 3.2+ reads it: the {@code nofailover} tag when it is given (true
     * or false, it wins over {@code failover_priority}), else {@code failover_priority <= 0}.
     */
    public boolean nofailover() {
        Object given = tags.get("nofailover");
        if (given != null) {
            return tag("nofailover");
        }
        Integer priority = priorityTag();
        return priority != null && priority <= 0;
    }

    /**
     * The failover_priority as Patroni reads it: 0 when tagged nofailover, else the tag (1 when
     * absent or unreadable). Higher goes first among equally advanced candidates.
     */
    public int failoverPriority() {
        if (tag("nofailover")) {
            return 0;
        }
        Integer priority = priorityTag();
        return priority == null ? 1 : priority;
    }

    /** Patroni's nostream tag: this member does not stream WAL (archive only), so the leader keeps no slot for it. */
    public boolean nostream() {
        return tag("nostream");
    }

    /** Patroni's clonefrom tag: new replicas may clone from this member (it needs a conn_url to be cloned from). */
    public boolean clonefrom() {
        return tag("clonefrom") && host() != null;
    }

    /**
     * Patroni's replicatefrom tag: the member this one streams from instead of the leader when it
     * can (cascading replication); null when absent, blank or not a string.
     */
    public String replicatefrom() {
        Object v = tags.get("replicatefrom");
        return v instanceof String s && !s.isBlank() ? s.trim() : null;
    }

    private Integer priorityTag() {
        Object p = tags.get("failover_priority");
        if (p == null) {
            return null;
        }
        try {
            return Integer.parseInt(String.valueOf(p).trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static URI uri(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return URI.create(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
