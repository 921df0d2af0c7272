package dev.baton.agent.ha;

import dev.baton.leader.model.ClusterView;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;

/**
 * Everything one HA cycle knows, gathered before deciding.
 *
 * @param me                 this member's name
 * @param cluster            the cluster as read from the store this cycle
 * @param lockIsMine         the leader key holds my name on my current lease and the lease is valid
 * @param dataDir            the data directory on disk
 * @param postmasterAlive    a postmaster runs for the data directory
 * @param pg                 the server's state (running = accepts queries)
 * @param upstream           host:port primary_conninfo points at, or null
 * @param nofailover         this member's nofailover tag
 * @param busy               the long action in progress (e.g. "clone from node1"), or null
 * @param primaryDownSeconds seconds postgres has been down while this node held the lock, or -1
 * @param leaderlessSeconds  seconds the cluster has been seen without a leader, or -1
 * @param rewindRequested    a previous cycle stopped postgres so that it is rewound before it follows
 * @param rewindFailed       why the last rewind failed (postgres stays down), or null
 * @param now                wall-clock time of this cycle (only for scheduled switchovers)
 */
public record Observation(String me, ClusterView cluster, boolean lockIsMine, DataDirInfo dataDir,
                          boolean postmasterAlive, PgStatus pg, String upstream, boolean nofailover,
                          String busy, double primaryDownSeconds, double leaderlessSeconds,
                          boolean rewindRequested, String rewindFailed, java.time.Instant now) {
}
