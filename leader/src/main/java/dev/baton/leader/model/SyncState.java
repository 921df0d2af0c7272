package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code sync} key in Patroni's shape: {@code {"leader": "node1", "sync_standby": "node2,node3"}}
 * ({@code sync_standby} null when the primary runs without a synchronous standby).
 *
 * <p>Invariant kept by the leader: every name listed here is named in the primary's
 * synchronous_standby_names and acknowledged as synchronous by it, so it holds every commit the
 * primary acknowledged. Only the listed leader or a listed standby may be promoted.
 *
 * <p>Quorum commit ({@code synchronous_mode: quorum}, Patroni 4): the key also carries
 * {@code "quorum": q}; {@code sync_standby} then lists the voters, and a voter may be promoted
 * only after it saw {@code q} other voters that are not ahead of it ({@link #quorum()}).
 * The key's {@code quorum} is 0 when absent or unreadable.
 *
 * @param leader      the primary that published the key, or null when the key is absent
 * @param standbys    the synchronous standbys it published (sorted)
 * @param modRevision the key's revision for compare-and-set; 0 when absent
 */
public record SyncState(String leader, Set<String> standbys, long modRevision, int quorum) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public SyncState {
        standbys = java.util.Collections.unmodifiableSet(new TreeSet<>(standbys == null ? Set.of() : standbys));
        quorum = Math.max(0, quorum);
    }

    /** Without a quorum field (plain synchronous mode). */
    public SyncState(String leader, Set<String> standbys, long modRevision) {
        this(leader, standbys, modRevision, 0);
    }

    public static SyncState absent() {
        return new SyncState(null, Set.of(), 0);
    }

    /**
     * Parses the key's value; never throws. An unreadable value (not a JSON object, no leader name)
     * counts as a key with no leader and no standby, like Patroni's empty SyncState: in synchronous
     * mode no one may then be promoted, the safe side, until the leader writes the key anew.
     */
    public static SyncState parse(String json, long modRevision) {
        if (json == null || json.isBlank()) {
            return new SyncState(null, Set.of(), modRevision);
        }
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject() || !n.path("leader").isTextual() || n.get("leader").textValue().isBlank()) {
                return new SyncState(null, Set.of(), modRevision);
            }
            String leader = n.get("leader").textValue();
            Set<String> standbys = new TreeSet<>();
            JsonNode s = n.get("sync_standby");
            if (s != null && s.isArray()) {
                s.forEach(e -> {
                    if (e.isTextual() && !e.textValue().isBlank()) {
                        standbys.add(e.textValue().trim());
                    }
                });
            } else if (s != null && s.isTextual()) {
                for (String name : s.asText().split(",")) {
                    if (!name.isBlank()) {
                        standbys.add(name.trim());
                    }
                }
            }
            JsonNode q = n.get("quorum");
            if (q != null && !q.isNull() && !(q.isIntegralNumber() && q.canConvertToInt() && q.intValue() >= 0)) {
                // An unreadable quorum must not read as 0 (any voter alone could promote): no one may.
                return new SyncState(null, Set.of(), modRevision);
            }
            int quorum = q == null || q.isNull() ? 0 : q.intValue();
            return new SyncState(leader, standbys, modRevision, quorum);
        } catch (Exception e) {
            return new SyncState(null, Set.of(), modRevision);
        }
    }

    /** Patroni's JSON for the key. */
    public static String toJson(String leader, Collection<String> standbys) {
        ObjectNode n = JSON.createObjectNode();
        n.put("leader", leader);
        if (standbys == null || standbys.isEmpty()) {
            n.putNull("sync_standby");
        } else {
            n.put("sync_standby", String.join(",", new TreeSet<>(standbys)));
        }
        return n.toString();
    }

    /** Patroni 4's JSON for the key in quorum mode: the voters and the quorum. */
    public static String toJson(String leader, Collection<String> voters, int quorum) {
        ObjectNode n = JSON.createObjectNode();
        n.put("leader", leader);
        if (voters == null || voters.isEmpty()) {
            n.putNull("sync_standby");
        } else {
            n.put("sync_standby", String.join(",", new TreeSet<>(voters)));
        }
        n.put("quorum", quorum);
        return n.toString();
    }

    public boolean present() {
        return modRevision != 0;
    }

    /** Patroni's {@code sync.matches(name)}: the listed leader or a listed standby. */
    public boolean matches(String name) {
        return name != null && leader != null && (name.equals(leader) || standbys.contains(name));
    }

    /** Whether {@code name} is a quorum standby (a voter) of the primary named {@code currentLeader}. */
    public boolean isQuorumStandby(String name, String currentLeader) {
        return isSyncStandby(name, currentLeader);
    }

    /** Whether {@code name} is a synchronous standby of the primary named {@code currentLeader}. */
    public boolean isSyncStandby(String name, String currentLeader) {
        return leader != null && leader.equals(currentLeader) && standbys.contains(name);
    }
}
