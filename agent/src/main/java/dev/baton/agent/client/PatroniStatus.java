package dev.baton.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.PromotionReport;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A member's answer to {@code GET /patroni}, parsed once, in Patroni's shape (Baton's agent and
 * Patroni's answer alike; see {@code RestApi#status}). Absent numbers are null or 0 as noted, so
 * that a caller can tell "not reported" from zero where it matters (the WAL positions).
 *
 * @param state               the member's state ({@link MemberState#UNKNOWN} when absent)
 * @param role                what postgres runs as ({@code master} reads as {@link Role#PRIMARY})
 * @param timeline            0 when not reported
 * @param xlogLocation        {@code xlog.location}: a primary's write position; null on a replica
 * @param receivedLocation    {@code xlog.received_location} of a replica, null when absent
 * @param replayedLocation    {@code xlog.replayed_location} of a replica, null when absent
 * @param replayPaused        {@code xlog.paused}
 * @param replicationState    {@code replication_state} of a replica ({@code streaming}, {@code in archive recovery}), or null
 * @param postmasterStartTime as postgres reports it, or null; it changes when postgres restarts
 * @param pendingRestart      a changed parameter waits for a restart
 * @param paused              the cluster is in maintenance mode ({@code pause})
 * @param name                {@code patroni.name}, or null
 * @param batonLastCycle      Baton only: the sentence of the agent's last HA cycle, or null
 * @param batonConfigWarnings Baton only: what is invalid in the etcd config key as the agent read it
 *                            (each value kept at its last good one); empty when valid or not reported
 * @param batonPromotion      Baton only: how the member's last promotion after a failover went, or null
 */
public record PatroniStatus(MemberState state, Role role, int timeline, Long xlogLocation, Long receivedLocation,
                            Long replayedLocation, boolean replayPaused, String replicationState,
                            String postmasterStartTime, boolean pendingRestart, boolean paused, String name,
                            String batonLastCycle, List<String> batonConfigWarnings,
                            PromotionReport batonPromotion) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public PatroniStatus {
        state = state == null ? MemberState.UNKNOWN : state;
        role = role == null ? Role.UNKNOWN : role;
        batonConfigWarnings = batonConfigWarnings == null ? List.of() : List.copyOf(batonConfigWarnings);
    }

    /** Parses a {@code /patroni} body; empty if it is not a JSON object. */
    public static Optional<PatroniStatus> parse(String body) {
        if (body == null) {
            return Optional.empty();
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (n == null || !n.isObject()) {
            return Optional.empty();
        }
        JsonNode x = n.path("xlog");
        return Optional.of(new PatroniStatus(MemberState.parse(text(n, "state")), Role.parse(text(n, "role")),
                n.path("timeline").asInt(0), number(x, "location"), number(x, "received_location"),
                number(x, "replayed_location"), x.path("paused").asBoolean(false), text(n, "replication_state"),
                text(n, "postmaster_start_time"), n.path("pending_restart").asBoolean(false),
                n.path("pause").asBoolean(false), text(n.path("patroni"), "name"),
                text(n.path("baton"), "last_cycle"), texts(n.path("baton").path("config_warnings")),
                PromotionReport.read(n.path("baton").get("promotion")).orElse(null)));
    }

    /** Postgres runs as a writable primary: state {@code running} and role primary. */
    public boolean runningPrimary() {
        return state == MemberState.RUNNING && role == Role.PRIMARY;
    }

    /** Running (Patroni 4 says {@code streaming}) with replication state {@code streaming}: a replica receiving WAL from its leader. */
    public boolean streaming() {
        return state.isRunning() && "streaming".equals(replicationState);
    }

    /**
     * How far this member's WAL goes: a primary's write position, else the larger of a replica's
     * received and replayed positions (0 when none is reported).
     */
    public long walPosition() {
        if (xlogLocation != null) {
            return xlogLocation;
        }
        return Math.max(receivedLocation == null ? 0 : receivedLocation, replayedLocation == null ? 0 : replayedLocation);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static List<String> texts(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(v -> {
            if (v.isTextual()) {
                out.add(v.textValue());
            }
        });
        return out;
    }

    private static Long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asLong();
    }
}
