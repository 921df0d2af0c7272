package dev.baton.leader;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Immutable view of one cluster read with a single prefix read. Absent keys are {@code null}.
 *
 * @param revision   the store revision the snapshot was read at
 * @param initialize raw {@code initialize} (the system identifier; "" while bootstrap runs)
 * @param config     raw {@code config} (dynamic configuration JSON)
 * @param leader     the {@code leader} key
 * @param members    {@code members/*} by member name, sorted by name
 * @param failover   raw {@code failover}
 * @param sync       raw {@code sync}
 * @param history    raw {@code history}
 * @param status     raw {@code status}
 * @param backup     raw {@code backup} (Baton's: the scheduled backup points claimed, JSON)
 * @param failsafe   raw {@code failsafe} ({@code {member: api_url}}, failsafe_mode)
 */
public record ClusterSnapshot(
        long revision,
        VersionedValue initialize,
        VersionedValue config,
        LeaderKey leader,
        Map<String, MemberKey> members,
        VersionedValue failover,
        VersionedValue sync,
        VersionedValue history,
        VersionedValue status,
        VersionedValue backup,
        VersionedValue failsafe) {

    public ClusterSnapshot {
        // Sorted by name as documented (Map.copyOf would not keep any order).
        members = Collections.unmodifiableMap(new TreeMap<>(Map.copyOf(members)));
    }

    /** Without a {@code failsafe} key. */
    public ClusterSnapshot(long revision, VersionedValue initialize, VersionedValue config, LeaderKey leader,
            Map<String, MemberKey> members, VersionedValue failover, VersionedValue sync, VersionedValue history,
            VersionedValue status, VersionedValue backup) {
        this(revision, initialize, config, leader, members, failover, sync, history, status, backup, null);
    }

    /** Without a {@code backup} key. */
    public ClusterSnapshot(long revision, VersionedValue initialize, VersionedValue config, LeaderKey leader,
            Map<String, MemberKey> members, VersionedValue failover, VersionedValue sync, VersionedValue history,
            VersionedValue status) {
        this(revision, initialize, config, leader, members, failover, sync, history, status, null);
    }

    public Optional<LeaderKey> leaderKey() {
        return Optional.ofNullable(leader);
    }

    public static ClusterSnapshot empty() {
        return new ClusterSnapshot(0, null, null, null, Map.of(), null, null, null, null, null, null);
    }
}
