package dev.baton.agent.ha;

/**
 * What one HA cycle decided to do, with the sentence that explains it. Decisions are plain data:
 * {@link HaDecider} produces them without I/O and {@link HaLoop} carries them out.
 */
public sealed interface Decision {

    /** The sentence logged, shown on the API and asserted in tests. */
    String reason();

    /** Nothing to do (or just the leader's housekeeping when {@code leader} is true). */
    record NoAction(String reason, boolean leader) implements Decision {
        public static NoAction of(String reason) {
            return new NoAction(reason, false);
        }
    }

    /** The agent must not touch anything and stops with an error (e.g. a foreign data directory). */
    record Fatal(String reason) implements Decision {
    }

    /** Race for {@code initialize}; the winner runs initdb and becomes the primary. */
    record Bootstrap(String reason) implements Decision {
    }

    /**
     * Clone the data directory from {@code source} (the leader, or a member tagged clonefrom) with
     * the create_replica_methods, then start as a replica of the leader. {@code source} is null
     * when the cluster has no leader and a {@code no_leader} method makes the replica.
     */
    record Clone(String source, String reason) implements Decision {
    }

    /** Start postgres as the primary (this node holds the lock). */
    record StartPrimary(String reason) implements Decision {
    }

    /**
     * Start postgres as a replica of {@code leader} (null: read-only, following no one yet);
     * {@code rewindFirst} when the data directory was a primary and must be rewound first.
     */
    record StartReplica(String leader, boolean rewindFirst, String reason) implements Decision {
    }

    /**
     * Take the vacant leader key. {@code checkHealth}: compare with the peers first (the leader
     * race of replicas); {@code promoteIfWon}: this node runs as a replica and promotes once it
     * holds the key (a running primary just keeps running).
     */
    record AcquireLock(boolean checkHealth, boolean promoteIfWon, String reason) implements Decision {
    }

    /** Promote the running replica (the lock is already ours). */
    record Promote(String reason) implements Decision {
    }

    /**
     * Stop being a primary: someone else holds the key, so stop postgres at once (immediate); it
     * restarts as a replica next cycle.
     */
    record Demote(String reason) implements Decision {
    }

    /**
     * Re-point the running replica at {@code upstream}, the leader or its replicatefrom member
     * ({@link Cascade}), by a reload, no restart; tagged nostream: at no one.
     */
    record Follow(String upstream, String reason) implements Decision {
    }

    /** Give the leader key up (e.g. postgres did not come back within primary_start_timeout). */
    record ReleaseLock(String reason) implements Decision {
    }

    /**
     * The leader key carries my name but a lease of my previous incarnation (the agent restarted
     * while the key lived on): bind it to my current lease, provided it is still exactly the key
     * that was read. No one else can have held it in between.
     */
    record ReclaimLock(String reason) implements Decision {
    }

    /**
     * The leader key is bound to my current lease but names someone else (its value was
     * overwritten): I am the running primary and only my lease keeps the key, so write my name
     * back, provided it is still exactly the key that was read.
     */
    record RepairLock(String reason) implements Decision {
    }

    /**
     * Planned handover: stop postgres cleanly, wait (bounded) until {@code candidate} (null: any
     * replica) has received the shutdown checkpoint, then release the leader key.
     */
    record Switchover(String candidate, String reason) implements Decision {
    }

    /** Delete the {@code failover} key at {@code modRevision}: done, impossible or stale. */
    record ClearFailover(long modRevision, String reason) implements Decision {
    }

    /** Stop the running replica (fast) so that it is rewound before it follows {@code leader}. */
    record StopToRewind(String leader, String reason) implements Decision {
    }

    /**
     * A standby cluster ({@code standby_cluster}) without initialize key: race for it and for the
     * leader key like {@link Bootstrap}; the winner clones the remote primary (the standby cluster's
     * create_replica_methods, default basebackup) instead of initdb and starts as the standby leader.
     */
    record BootstrapStandby(String reason) implements Decision {
    }

    /** Start postgres as the standby leader (I hold the key in a standby cluster): a replica of the remote. */
    record StartStandbyLeader(String reason) implements Decision {
    }

    /** Re-point the standby leader's running postgres at the remote primary, by a reload. */
    record FollowRemote(String reason) implements Decision {
    }

    /**
     * The running primary holding the key in a cluster that became a standby cluster
     * ({@code demote-cluster}): stop it (fast), keeping the key, and start it as the standby leader.
     */
    record DemoteToStandbyLeader(String reason) implements Decision {
    }

    /** Take the leader key for an existing primary data directory in a cluster without initialize key. */
    record AdoptExisting(String reason) implements Decision {
    }
}
