package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code history} key's JSON ({@code [[timeline, lsn, reason, timestamp, new_leader], ...]},
 * Patroni's shape), read and edited without losing lines it does not understand.
 */
public final class History {
    private static final ObjectMapper JSON = new ObjectMapper();

    private History() {
    }

    /** The entries of {@code json} (null or unreadable: none); lines that are not arrays of at least two are skipped. */
    public static List<HistoryEntry> entries(String json) {
        List<HistoryEntry> out = new ArrayList<>();
        if (json == null) {
            return out;
        }
        try {
            for (JsonNode line : JSON.readTree(json)) {
                if (line.isArray() && line.size() >= 2) {
                    out.add(new HistoryEntry(line.get(0).asInt(), line.get(1).asLong(),
                            line.size() > 2 ? line.get(2).asText() : "", line.size() > 3 ? line.get(3).asText() : "",
                            line.size() > 4 ? line.get(4).asText() : ""));
                }
            }
        } catch (Exception e) {
            return out;
        }
        return out;
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
            // fall through
        }
        throw new IllegalArgumentException("the history key is not a JSON list: " + abbreviate(json));
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static ArrayNode line(HistoryEntry e) {
        return JSON.createArrayNode().add(e.timeline()).add(e.lsn()).add(e.reason()).add(e.timestamp())
                .add(e.newLeader());
    }
}
