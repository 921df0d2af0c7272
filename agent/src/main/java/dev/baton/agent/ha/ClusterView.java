package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ConfigException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.MemberKey;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster as one HA cycle sees it: the store snapshot with its JSON values parsed.
 *
 * @param initialize    the system identifier in {@code initialize}; "" while a bootstrap runs; null if absent
 * @param leader        the leader key's member name, or null
 * @param leaderLeaseId the lease the leader key is bound to
 * @param members       published members by name
 * @param dynamic       the dynamic configuration in {@code config} (or the bootstrap one while absent)
 * @param configPresent whether {@code config} exists
 * @param lastLeaderLsn the last WAL position the leader published in {@code status} ("optime"), 0 if unknown
 * @param snapshot      the raw snapshot (revisions for compare-and-set)
 */
public record ClusterView(String initialize, String leader, long leaderLeaseId, Map<String, MemberStatus> members,
                          DynamicConfig dynamic, boolean configPresent, long lastLeaderLsn,
                          ClusterSnapshot snapshot) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ClusterView {
        members = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(members));
    }

    public static ClusterView of(ClusterSnapshot s, DynamicConfig bootstrapDynamic) {
        Map<String, MemberStatus> members = new LinkedHashMap<>();
        for (MemberKey m : s.members().values()) {
            members.put(m.name(), MemberStatus.parse(m.name(), m.json()));
        }
        DynamicConfig dynamic = bootstrapDynamic;
        if (s.config() != null) {
            try {
                dynamic = DynamicConfig.fromJson(s.config().value());
            } catch (ConfigException e) {
                // A broken config key must not stop HA: keep the local bootstrap values.
                dynamic = bootstrapDynamic;
            }
        }
        long optime = 0;
        if (s.status() != null) {
            try {
                JsonNode n = JSON.readTree(s.status().value());
                optime = n.path("optime").asLong(0);
            } catch (Exception ignored) {
                optime = 0;
            }
        }
        return new ClusterView(s.initialize() == null ? null : s.initialize().value(),
                s.leader() == null ? null : s.leader().name(), s.leader() == null ? 0 : s.leader().leaseId(),
                members, dynamic, s.config() != null, optime, s);
    }

    public boolean hasLeader() {
        return leader != null;
    }

    public Optional<MemberStatus> member(String name) {
        return Optional.ofNullable(name == null ? null : members.get(name));
    }

    public Optional<MemberStatus> leaderMember() {
        return member(leader);
    }

    /**
     * The {@code failover} key: a requested switchover ({@code leader} set) or failover, to
     * {@code candidate} (null: the best member), at {@code scheduledAt} (null: now).
     */
    public record FailoverRequest(String leader, String candidate, java.time.OffsetDateTime scheduledAt,
                                  long modRevision) {
    }

    /** The {@code failover} key, if present and readable. */
    public Optional<FailoverRequest> failover() {
        if (snapshot.failover() == null || snapshot.failover().value().isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(snapshot.failover().value());
            String leader = n.hasNonNull("leader") && !n.get("leader").asText().isEmpty() ? n.get("leader").asText() : null;
            String member = n.hasNonNull("member") && !n.get("member").asText().isEmpty() ? n.get("member").asText() : null;
            java.time.OffsetDateTime at = n.hasNonNull("scheduled_at") && !n.get("scheduled_at").asText().isEmpty()
                    ? java.time.OffsetDateTime.parse(n.get("scheduled_at").asText()) : null;
            return Optional.of(new FailoverRequest(leader, member, at, snapshot.failover().modRevision()));
        } catch (Exception e) {
            return Optional.of(new FailoverRequest(null, null, null, snapshot.failover().modRevision()));
        }
    }

    /** The {@code sync} key (absent: {@link SyncState#absent()}). */
    public SyncState sync() {
        return snapshot.sync() == null ? SyncState.absent()
                : SyncState.parse(snapshot.sync().value(), snapshot.sync().modRevision());
    }

    /** In synchronous mode, whether {@code name} may be promoted (Patroni's {@code sync.matches}); always true otherwise. */
    public boolean mayPromote(String name) {
        return !dynamic.synchronousMode() || sync().matches(name);
    }

    /** One line of the {@code history} key: timeline {@code timeline} ended at {@code lsn}. */
    public record HistoryEntry(int timeline, long lsn, String reason, String timestamp, String newLeader) {
    }

    /** The {@code history} key's entries ({@code [[tl, lsn, reason, timestamp, new_leader], ...]}). */
    public java.util.List<HistoryEntry> history() {
        java.util.List<HistoryEntry> out = new java.util.ArrayList<>();
        if (snapshot.history() == null) {
            return out;
        }
        try {
            for (JsonNode line : JSON.readTree(snapshot.history().value())) {
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

    /**
     * Whether a node on {@code timeline} at WAL position {@code lsn} has diverged from the cluster:
     * the history says its timeline ended earlier than {@code lsn}, so it holds WAL the current
     * leader never had and must be rewound before it can follow.
     */
    public boolean divergedFrom(int timeline, long lsn) {
        for (HistoryEntry e : history()) {
            if (e.timeline() == timeline && lsn > e.lsn()) {
                return true;
            }
        }
        return false;
    }

    /** Whether the leader still has to finish its checkpoint after promotion (Patroni's member flag). */
    public boolean leaderCheckpointPending() {
        if (leader == null || snapshot.members().get(leader) == null) {
            return false;
        }
        try {
            JsonNode n = JSON.readTree(snapshot.members().get(leader).json());
            return n.has("checkpoint_after_promote") && !n.get("checkpoint_after_promote").asBoolean(true);
        } catch (Exception e) {
            return false;
        }
    }

    /** True while the cluster has no system identifier yet (no key, or a bootstrap in progress). */
    public boolean uninitialized() {
        return initialize == null || initialize.isEmpty();
    }
}
