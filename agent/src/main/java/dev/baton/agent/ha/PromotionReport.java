package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * How this node's last promotion after a failover went (fence before promote): whom it fenced,
 * over which channel, how long the fence, the drain and the promotion took. The REST API shows it
 * as {@code baton.promotion} of {@code GET /patroni}; {@code baton drill} reads it from there.
 *
 * @param at         when the promotion finished (ISO 8601, UTC)
 * @param oldPrimary the former leader whose lease expired, or null when none was known
 * @param fence      what fencing found, as {@link dev.baton.agent.postgres.FenceResult.Outcome#words()}
 *                   says it, or {@code "not attempted"}
 * @param channel    how the old primary was fenced: {@code sql}, {@code rest}, or {@code none}
 * @param fenceMs    how long fencing took, milliseconds
 * @param flushLsn   the old primary's WAL flush position read once fenced ({@code 0/3000060}), or null
 * @param drain      {@code complete}, {@code timed out}, or {@code not needed} (nothing to drain to)
 * @param drainMs    how long the drain took, milliseconds
 * @param promoteMs  how long the promotion itself took, milliseconds
 */
public record PromotionReport(String at, String oldPrimary, String fence, String channel, long fenceMs,
                              String flushLsn, String drain, long drainMs, long promoteMs) {

    /** Writes the report into {@code n} (the {@code baton.promotion} object). */
    public void writeTo(ObjectNode n) {
        n.put("at", at);
        n.put("old_primary", oldPrimary);
        n.put("fence", fence);
        n.put("channel", channel);
        n.put("fence_ms", fenceMs);
        n.put("flush_lsn", flushLsn);
        n.put("drain", drain);
        n.put("drain_ms", drainMs);
        n.put("promote_ms", promoteMs);
    }

    /** Reads a {@code baton.promotion} object; empty when absent or not an object. */
    public static Optional<PromotionReport> read(JsonNode n) {
        if (n == null || !n.isObject()) {
            return Optional.empty();
        }
        return Optional.of(new PromotionReport(text(n, "at"), text(n, "old_primary"), text(n, "fence"),
                text(n, "channel"), n.path("fence_ms").asLong(0), text(n, "flush_lsn"), text(n, "drain"),
                n.path("drain_ms").asLong(0), n.path("promote_ms").asLong(0)));
    }

    /** True when the old primary was fenced (or found harmless) and all its flushed WAL was received. */
    public boolean fencedAndDrained() {
        return ("fenced".equals(fence) || "not running".equals(fence) || "not a primary".equals(fence))
                && ("complete".equals(drain) || "not needed".equals(drain));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
