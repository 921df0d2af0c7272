package dev.baton.leader.model;

/**
 * One line of the {@code history} key, {@code [timeline, lsn, reason, timestamp, new_leader]}:
 * timeline {@code timeline} ended at WAL position {@code lsn}.
 */
public record HistoryEntry(int timeline, long lsn, String reason, String timestamp, String newLeader) {
}
