package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ConfigException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.MemberKey;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster as one HA cycle (or one CLI command) sees it: the store snapshot with its JSON
 * values parsed. Agents and the CLI read the cluster through this one model.
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
        members = Collections.unmodifiableMap(new TreeMap<>(members));
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

    /** The {@code failover} key, if present; an unreadable one is a request without leader, candidate or time. */
    public Optional<FailoverRequest> failover() {
        if (snapshot.failover() == null || snapshot.failover().value().isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(snapshot.failover().value());
            OffsetDateTime at = text(n, "scheduled_at") == null ? null : OffsetDateTime.parse(text(n, "scheduled_at"));
            return Optional.of(new FailoverRequest(text(n, "leader"), text(n, "member"), at,
                    snapshot.failover().modRevision()));
        } catch (Exception e) {
            return Optional.of(new FailoverRequest(null, null, null, snapshot.failover().modRevision()));
        }
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) && !n.get(field).asText().isEmpty() ? n.get(field).asText() : null;
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

    /** The {@code history} key's entries ({@code [[tl, lsn, reason, timestamp, new_leader], ...]}). */
    public List<HistoryEntry> history() {
        return History.entries(snapshot.history() == null ? null : snapshot.history().value());
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
        return leaderMember().map(m -> Boolean.FALSE.equals(m.checkpointAfterPromote())).orElse(false);
    }

    /** True while the cluster has no system identifier yet (no key, or a bootstrap in progress). */
    public boolean uninitialized() {
        return initialize == null || initialize.isEmpty();
    }
}
