package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.ClusterView;
import java.time.Instant;

/**
 * Everything one HA cycle knows, gathered before deciding: the cluster as read this cycle, the
 * local postgres, and what the loop remembers from earlier cycles.
 *
 * @param me         this member's name
 * @param nofailover this member's nofailover tag
 * @param cluster    the cluster as read from the store this cycle
 * @param lockIsMine the leader key holds my name on my current lease and the lease is valid
 * @param local      the local postgres
 * @param memory     what earlier cycles and long actions left behind
 * @param now        wall-clock time of this cycle (only for scheduled switchovers)
 * @param leaderKeyOnMyLease the leader key is bound to the lease I renewed this cycle, whatever it names, or it
 *                   lost its lease to an overwrite while I held the lock
 * @param nostream   this member's nostream tag: as a replica it does not stream (no primary_conninfo)
 * @param replicatefrom this member's replicatefrom tag (null: none): the member it streams from instead
 *                   of the leader when it can ({@link Cascade})
 */
public record Observation(String me, boolean nofailover, ClusterView cluster, boolean lockIsMine, Local local,
                          Memory memory, Instant now, boolean leaderKeyOnMyLease, boolean nostream,
                          String replicatefrom) {

    /** An observation of a member not tagged replicatefrom. */
    public Observation(String me, boolean nofailover, ClusterView cluster, boolean lockIsMine, Local local,
                       Memory memory, Instant now, boolean leaderKeyOnMyLease, boolean nostream) {
        this(me, nofailover, cluster, lockIsMine, local, memory, now, leaderKeyOnMyLease, nostream, null);
    }

    /** An observation of a member that streams (not tagged nostream). */
    public Observation(String me, boolean nofailover, ClusterView cluster, boolean lockIsMine, Local local,
                       Memory memory, Instant now, boolean leaderKeyOnMyLease) {
        this(me, nofailover, cluster, lockIsMine, local, memory, now, leaderKeyOnMyLease, false);
    }

    /** An observation in which the leader key is not bound to my lease unless it is mine. */
    public Observation(String me, boolean nofailover, ClusterView cluster, boolean lockIsMine, Local local,
                       Memory memory, Instant now) {
        this(me, nofailover, cluster, lockIsMine, local, memory, now, lockIsMine);
    }

    /**
     * The local postgres.
     *
     * @param dataDir         the data directory on disk
     * @param postmasterAlive a postmaster runs for the data directory
     * @param pg              the server's state (running = accepts queries)
     * @param upstream        host:port primary_conninfo points at, or null
     */
    public record Local(DataDirInfo dataDir, boolean postmasterAlive, PgStatus pg, String upstream) {
    }

    /**
     * What the loop carries between cycles.
     *
     * @param busy               the long action in progress, or null
     * @param primaryDownSeconds seconds postgres has been down while this node held the lock, or -1
     * @param leaderlessSeconds  seconds the cluster has been seen without a leader, or -1
     * @param rewindRequested    a previous cycle stopped postgres so that it is rewound before it follows
     * @param rewindFailed       why the last rewind failed (postgres stays down), or null
     */
    public record Memory(LongAction.Running busy, double primaryDownSeconds, double leaderlessSeconds,
                         boolean rewindRequested, String rewindFailed) {
        public static Memory fresh() {
            return new Memory(null, -1, -1, false, null);
        }
    }

    public DataDirInfo dataDir() {
        return local.dataDir();
    }

    public boolean postmasterAlive() {
        return local.postmasterAlive();
    }

    public PgStatus pg() {
        return local.pg();
    }

    public String upstream() {
        return local.upstream();
    }

    public LongAction.Running busy() {
        return memory.busy();
    }

    public double primaryDownSeconds() {
        return memory.primaryDownSeconds();
    }

    public double leaderlessSeconds() {
        return memory.leaderlessSeconds();
    }

    public boolean rewindRequested() {
        return memory.rewindRequested();
    }

    public String rewindFailed() {
        return memory.rewindFailed();
    }
}
