package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code history} key's JSON ({@code [[timeline, lsn, reason, timestamp, new_leader], ...]},
 * Patroni's shape), read and edited without losing lines it does not understand. A value that is
 * not a JSON list at all has no lines: the next edit replaces it (Patroni does the same).
 */
public final class History {
    private static final ObjectMapper JSON = new ObjectMapper();

    private History() {
    }

    /**
     * The entries of {@code json} (null, unreadable or not a list: none). Lines that are not arrays
     * of a timeline (1 or more) and a WAL position (0 or more), both integers that fit, are
     * skipped: a garbage line must not make a replica think it diverged and rewind.
     */
    public static List<HistoryEntry> entries(String json) {
        List<HistoryEntry> out = new ArrayList<>();
        if (json == null) {
            return out;
        }
        try {
            JsonNode lines = JSON.readTree(json);
            if (lines == null || !lines.isArray()) {
                return out;
            }
            for (JsonNode line : lines) {
                if (line.isArray() && line.size() >= 2 && isInt(line.get(0), 1, Integer.MAX_VALUE)
                        && isInt(line.get(1), 0, Long.MAX_VALUE)) {
                    out.add(new HistoryEntry(line.get(0).intValue(), line.get(1).longValue(), text(line, 2),
                            text(line, 3), text(line, 4)));
                }
            }
        } catch (Exception e) {
            return out;
        }
        return out;
    }

    private static boolean isInt(JsonNode v, long min, long max) {
        return v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= min && v.longValue() <= max;
    }

    private static String text(JsonNode line, int i) {
        return line.size() > i && line.get(i).isValueNode() && !line.get(i).isNull() ? line.get(i).asText() : "";
    }

    /** {@code json} (null: an empty history) with {@code entry} appended. */
    public static String append(String json, HistoryEntry entry) {
        ArrayNode history = parse(json);
        history.add(line(entry));
        return history.toString();
    }

    /**
     * {@code json} with {@code note} added to the reason of every line of {@code timeline}; when
     * there is none, with {@code entry} appended instead.
     */
    public static String annotate(String json, int timeline, String note, HistoryEntry entry) {
        ArrayNode history = parse(json);
        boolean found = false;
        for (JsonNode line : history) {
            if (line.isArray() && line.size() >= 3 && line.get(0).asInt() == timeline) {
                ((ArrayNode) line).set(2, JSON.getNodeFactory().textNode(line.get(2).asText() + "; " + note));
                found = true;
            }
        }
        if (!found) {
            history.add(line(entry));
        }
        return history.toString();
    }

    /** The lines of {@code json}; a value that is not a JSON list has none and is replaced, as Patroni does. */
    private static ArrayNode parse(String json) {
        if (json == null) {
            return JSON.createArrayNode();
        }
        try {
            JsonNode n = JSON.readTree(json);
            if (n instanceof ArrayNode a) {
                return a;
            }
        } catch (Exception e) {
            // not JSON: replaced below
        }
        return JSON.createArrayNode();
    }

    private static ArrayNode line(HistoryEntry e) {
        return JSON.createArrayNode().add(e.timeline()).add(e.lsn()).add(e.reason()).add(e.timestamp())
                .add(e.newLeader());
    }
}
