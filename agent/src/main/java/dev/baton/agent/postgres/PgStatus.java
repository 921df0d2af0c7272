package dev.baton.agent.postgres;

import java.util.List;

/**
 * A running server's state, read with one round of queries.
 *
 * @param running          the postmaster is alive and accepts connections
 * @param inRecovery       pg_is_in_recovery()
 * @param timeline         the current timeline
 * @param writeLsn         primary: pg_current_wal_lsn(); 0 on a replica
 * @param receivedLsn      replica: pg_last_wal_receive_lsn(); 0 if none
 * @param replayedLsn      replica: pg_last_wal_replay_lsn(); 0 on a primary
 * @param replayTimestamp  replica: pg_last_xact_replay_timestamp() (ISO-8601), or null
 * @param replayPaused     replica: WAL replay is paused
 * @param streaming        replica: the WAL receiver is streaming
 * @param upstreamHost     replica: host the WAL receiver is connected to, or null
 * @param upstreamPort     replica: its port, or 0
 * @param startedAt        postmaster start time (ISO-8601), or null
 * @param serverVersion    server_version_num
 * @param replication      primary: one entry per pg_stat_replication row
 * @param pendingRestart   some changed parameter only takes effect after a restart
 */
public record PgStatus(boolean running, boolean inRecovery, int timeline, long writeLsn, long receivedLsn,
                       long replayedLsn, String replayTimestamp, boolean replayPaused, boolean streaming,
                       String upstreamHost, int upstreamPort, String startedAt, int serverVersion,
                       List<Replica> replication, boolean pendingRestart) {

    public PgStatus {
        replication = replication == null ? List.of() : List.copyOf(replication);
    }

    /** Without the pending-restart flag. */
    public PgStatus(boolean running, boolean inRecovery, int timeline, long writeLsn, long receivedLsn,
                    long replayedLsn, String replayTimestamp, boolean replayPaused, boolean streaming,
                    String upstreamHost, int upstreamPort, String startedAt, int serverVersion, List<Replica> replication) {
        this(running, inRecovery, timeline, writeLsn, receivedLsn, replayedLsn, replayTimestamp, replayPaused, streaming,
                upstreamHost, upstreamPort, startedAt, serverVersion, replication, false);
    }

    public static PgStatus stopped() {
        return new PgStatus(false, false, 0, 0, 0, 0, null, false, false, null, 0, null, 0, List.of(), false);
    }

    /**
     * This replica's state as the primary it became the moment recovery ended, before the server
     * is read again: out of recovery, at the WAL position it had reached, no upstream, no standbys
     * yet (the timeline is the old one until that read).
     */
    public PgStatus asPromoted() {
        return new PgStatus(running, false, timeline, walPosition(), 0, 0, null, false, false, null, 0, startedAt,
                serverVersion, List.of(), pendingRestart);
    }

    /** The WAL position Patroni calls xlog_location: written on a primary, max(received, replayed) on a replica. */
    public long walPosition() {
        return inRecovery ? Math.max(receivedLsn, replayedLsn) : writeLsn;
    }

    public boolean runningAsPrimary() {
        return running && !inRecovery;
    }

    public boolean runningAsReplica() {
        return running && inRecovery;
    }

    /**
     * One row of pg_stat_replication.
     *
     * @param usename      the replication connection's role, or null
     * @param syncPriority its priority as a synchronous standby (0: asynchronous)
     */
    public record Replica(String applicationName, String clientAddr, String state, String syncState,
                          long sentLsn, long flushLsn, long replayLsn, Double replayLagSeconds, String usename,
                          int syncPriority) {

        /** Without the role and the priority (not read). */
        public Replica(String applicationName, String clientAddr, String state, String syncState, long sentLsn,
                       long flushLsn, long replayLsn, Double replayLagSeconds) {
            this(applicationName, clientAddr, state, syncState, sentLsn, flushLsn, replayLsn, replayLagSeconds, null, 0);
        }
    }
}
