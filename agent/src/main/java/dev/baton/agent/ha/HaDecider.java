package dev.baton.agent.ha;

import dev.baton.agent.ha.Decision.AcquireLock;
import dev.baton.agent.ha.Decision.AdoptExisting;
import dev.baton.agent.ha.Decision.Bootstrap;
import dev.baton.agent.ha.Decision.ClearFailover;
import dev.baton.agent.ha.Decision.Clone;
import dev.baton.agent.ha.Decision.Demote;
import dev.baton.agent.ha.Decision.Fatal;
import dev.baton.agent.ha.Decision.Follow;
import dev.baton.agent.ha.Decision.NoAction;
import dev.baton.agent.ha.Decision.Promote;
import dev.baton.agent.ha.Decision.ReclaimLock;
import dev.baton.agent.ha.Decision.ReleaseLock;
import dev.baton.agent.ha.Decision.StartPrimary;
import dev.baton.agent.ha.Decision.StartReplica;
import dev.baton.agent.ha.Decision.StopToRewind;
import dev.baton.agent.ha.Decision.Switchover;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.config.StandbyCluster;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.FailoverKey;
import dev.baton.leader.model.FailoverRequest;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.SyncState;
import dev.baton.leader.model.Takeover;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The HA state machine as a pure function: one {@link Observation} in, one {@link Decision} out.
 * No I/O, no clock, no randomness, so every case is table-tested.
 */
public final class HaDecider {
    /** The first create_replica_method that works without a leader ({@code no_leader}), or null. */
    private final String cloneWithoutLeader;

    public HaDecider() {
        this(null);
    }

    /**
     * @param cloneWithoutLeader the first {@code create_replica_method} marked {@code no_leader}, or
     *                           null: a member without data then waits for a leader, as before
     */
    public HaDecider(String cloneWithoutLeader) {
        this.cloneWithoutLeader = cloneWithoutLeader;
    }

    public Decision decide(Observation o) {
        ClusterView c = o.cluster();
        DataDirInfo dir = o.dataDir();

        if (o.busy() != null) {
            if (o.lockIsMine() && primaryStartTimedOut(o) && !o.busy().action().stopsPostgresOnPurpose()) {
                return new ReleaseLock("releasing the leader key: postgres was not running again within "
                        + "primary_start_timeout (" + c.dynamic().primaryStartTimeout() + " s)");
            }
            return NoAction.of(o.busy().sentence());
        }
        if (dir.kind() == DataDirInfo.Kind.INVALID) {
            return new Fatal("refusing to start: " + dir.problem());
        }
        // An initialize key holding garbage (not a system identifier) proves nothing: no refusal.
        if (dir.hasData() && !c.uninitialized() && !c.initializeUnreadable() && !c.initialize().equals(dir.systemId())) {
            return new Fatal("refusing to start: the data directory belongs to database system " + dir.systemId()
                    + " but cluster members share system " + c.initialize()
                    + "; it is another cluster's data and was left untouched");
        }
        if (dir.isEmpty()) {
            return decideWithoutData(o);
        }
        if (c.uninitialized()) {
            return decideUninitializedWithData(o);
        }
        if (!o.lockIsMine() && o.leaderKeyOnMyLease() && !o.me().equals(c.leader()) && o.pg().running()
                && !o.pg().inRecovery()) {
            return new Decision.RepairLock("repairing my leader key: it named \"" + printable(c.leader())
                    + "\", but only I can hold it");
        }
        if (!o.lockIsMine() && o.me().equals(c.leader()) && !o.pg().inRecovery()
                && (o.pg().running() || (!o.postmasterAlive() && dir.wasPrimary()))) {
            return new ReclaimLock("reclaiming my leader key from my previous run: my postgres is the primary");
        }
        if (!o.postmasterAlive()) {
            return decideStopped(o);
        }
        if (!o.pg().running()) {
            return NoAction.of("postgres is starting up");
        }
        return decideRunning(o);
    }

    /** A value from etcd as it may be shown in a sentence: control characters as '?', at most 64 characters. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(64).forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return s.codePointCount(0, s.length()) > 64 ? sb + "…" : sb.toString();
    }

    private Decision decideWithoutData(Observation o) {
        ClusterView c = o.cluster();
        if (c.uninitialized()) {
            if (c.initialize() == null && !c.hasLeader()) {
                if (o.nofailover()) {
                    return NoAction.of("waiting for the leader to bootstrap the cluster (I am tagged nofailover)");
                }
                StandbyCluster standby = c.dynamic().standbyCluster();
                if (standby != null) {
                    return new Decision.BootstrapStandby("bootstrapping a new standby cluster: cloning "
                            + standby.describe());
                }
                return new Bootstrap("bootstrapping a new cluster");
            }
            return NoAction.of("waiting for the leader to bootstrap the cluster");
        }
        if (o.lockIsMine()) {
            return new ReleaseLock("releasing the leader key: my data directory is empty");
        }
        if (!c.hasLeader()) {
            if (cloneWithoutLeader != null) {
                // Patroni's no_leader methods (a restore from a backup store) need no source.
                return new Clone(null, "cloning a replica without a leader (create_replica_method "
                        + printable(cloneWithoutLeader) + " works without one)");
            }
            return NoAction.of("waiting for a leader to clone from: the cluster has no leader");
        }
        Optional<MemberStatus> clonefrom = CloneSource.clonefrom(o.me(), c);
        if (clonefrom.isPresent()) {
            String source = clonefrom.get().name();
            return new Clone(source, "cloning a replica from " + source + " (tagged clonefrom)");
        }
        Optional<MemberStatus> leader = c.leaderMember();
        if (leader.isEmpty() || !leader.get().isRunning() || leader.get().host() == null) {
            return NoAction.of("waiting for leader " + c.leader() + " to be running before cloning");
        }
        return new Clone(c.leader(), "cloning a replica from leader " + c.leader());
    }

    private Decision decideUninitializedWithData(Observation o) {
        ClusterView c = o.cluster();
        if ("".equals(c.initialize())) {
            return NoAction.of("waiting for the leader to bootstrap the cluster");
        }
        if (!c.hasLeader() && o.dataDir().wasPrimary()) {
            return new AdoptExisting("taking over an existing primary data directory as the new cluster");
        }
        return NoAction.of("the cluster has no initialize key; waiting for its primary");
    }

    private static boolean primaryStartTimedOut(Observation o) {
        int timeout = o.cluster().dynamic().primaryStartTimeout();
        return o.primaryDownSeconds() >= 0 && (timeout == 0 || o.primaryDownSeconds() >= timeout);
    }

    private Decision decideStopped(Observation o) {
        ClusterView c = o.cluster();
        if (c.dynamic().pause()) {
            return NoAction.of("paused: postgres is not running, and I do not start it in maintenance mode");
        }
        if (o.lockIsMine()) {
            int timeout = c.dynamic().primaryStartTimeout();
            if (timeout == 0 && o.primaryDownSeconds() >= 0) {
                return new ReleaseLock("releasing the leader key: postgres is down and primary_start_timeout is 0");
            }
            if (primaryStartTimedOut(o)) {
                return new ReleaseLock("releasing the leader key: postgres was not running again within "
                        + "primary_start_timeout (" + timeout + " s)");
            }
            if (c.dynamic().isStandbyCluster() && o.rewindFailed() != null) {
                return NoAction.of("not starting postgres: " + o.rewindFailed());
            }
            if (c.dynamic().isStandbyCluster()) {
                return new Decision.StartStandbyLeader("starting postgres as the standby leader, following "
                        + c.dynamic().standbyCluster().describe());
            }
            return new StartPrimary("starting postgres as the primary: I hold the leader key");
        }
        if (o.rewindFailed() != null) {
            return NoAction.of("not starting postgres: " + o.rewindFailed());
        }
        boolean mayHaveDiverged = o.dataDir().wasPrimary() || o.rewindRequested();
        if (c.hasLeader() && !c.leader().equals(o.me())) {
            if (mayHaveDiverged && c.leaderCheckpointPending()) {
                return NoAction.of("waiting for leader " + c.leader() + " to checkpoint after its promotion before rewinding");
            }
            return new StartReplica(c.leader(), mayHaveDiverged, mayHaveDiverged
                    ? "starting as a replica of " + c.leader() + " after rewinding my former primary data"
                    : "starting as a replica of " + c.leader());
        }
        if (mayHaveDiverged && o.leaderlessSeconds() >= 0 && o.leaderlessSeconds() < c.dynamic().ttl()) {
            // Replicas may be electing a new leader: a former primary waits to rewind against it
            // rather than start on data that may have diverged. After ttl it starts read-only and races.
            return NoAction.of("waiting for a new leader before starting my former primary data");
        }
        return new StartReplica(null, false, "starting as a read-only replica: the cluster has no leader");
    }

    private Decision decideRunning(Observation o) {
        ClusterView c = o.cluster();
        boolean primary = !o.pg().inRecovery();
        if (o.lockIsMine()) {
            StandbyCluster standby = c.dynamic().standbyCluster();
            if (standby != null) {
                return decideStandbyLeader(o, standby, primary);
            }
            if (!primary) {
                return new Promote("promoting self: I hold the leader key");
            }
            Optional<FailoverKey> key = c.failoverKey();
            if (key.isPresent() && key.get() instanceof FailoverKey.Invalid invalid) {
                // Never executed; left in place it would be noise forever (Patroni cleans such keys up too).
                return new ClearFailover(invalid.modRevision(), "removing an invalid failover key: " + invalid.reason());
            }
            if (key.isPresent()) {
                return decideSwitchover(o, (FailoverRequest) key.get(), false);
            }
            return new NoAction("no action: I am the leader with the lock", true);
        }
        if (c.hasLeader() && !c.leader().equals(o.me())) {
            if (primary) {
                if (c.dynamic().pause()) {
                    return NoAction.of("paused: I run as a primary although " + c.leader()
                            + " holds the leader key; not demoting in maintenance mode");
                }
                return new Demote("demoting self: " + c.leader() + " holds the leader key");
            }
            Optional<MemberStatus> leader = c.leaderMember();
            if (leader.isPresent() && leader.get().isRunning() && leader.get().timeline() > o.pg().timeline()
                    && !c.dynamic().pause() && c.divergedFrom(o.pg().timeline(), o.pg().walPosition())) {
                return new StopToRewind(c.leader(), "stopping to rewind: my timeline " + o.pg().timeline()
                        + " went past the point where " + c.leader() + "'s history left it");
            }
            if (o.nostream()) {
                if (o.upstream() != null || o.pg().streaming()) {
                    return new Follow(c.leader(), "not streaming from leader " + c.leader() + ": I am tagged nostream");
                }
                return NoAction.of("no action: I am a secondary tagged nostream; I do not stream from leader "
                        + c.leader() + " (WAL comes from the archive only)");
            }
            Cascade.Choice choice = Cascade.upstream(o.me(), o.replicatefrom(), c);
            Optional<MemberStatus> up = choice.member();
            if (up.isPresent() && up.get().host() != null
                    && !(up.get().host() + ":" + up.get().port()).equals(o.upstream())) {
                if (choice.cascaded(c)) {
                    return new Follow(choice.name(), "streaming from " + choice.name() + " (tagged replicatefrom) "
                            + "instead of leader " + c.leader());
                }
                return new Follow(c.leader(), choice.fallback() == null ? "following new leader " + c.leader()
                        : "following leader " + c.leader() + ": " + choice.fallback());
            }
            if (choice.cascaded(c)) {
                return NoAction.of("no action: I am a secondary and I am replicating from " + choice.name()
                        + " (tagged replicatefrom), leader " + c.leader());
            }
            return NoAction.of("no action: I am a secondary and I am following a leader " + c.leader());
        }
        if (c.hasLeader()) {
            // The key carries my name but not my valid lease: a previous incarnation's key.
            return primary
                    ? new Demote("demoting self: the leader key is not on my current lease")
                    : NoAction.of("waiting for my stale leader key to expire");
        }
        Optional<FailoverRequest> request = c.failover();
        if (request.isPresent() && request.get().candidate() != null) {
            String candidate = request.get().candidate();
            if (candidate.equals(o.me())) {
                if (!c.mayPromote(o.me())) {
                    return NoAction.of("not taking over as the requested candidate: I am not a synchronous standby "
                            + "(synchronous_mode)");
                }
                return new AcquireLock(false, !primary && !c.dynamic().isStandbyCluster(),
                        "taking over as the requested candidate of a switchover or failover");
            }
            if (o.leaderlessSeconds() < c.dynamic().ttl()) {
                return NoAction.of("waiting for " + candidate + ", the requested candidate, to take over");
            }
        }
        if (c.dynamic().pause()) {
            return NoAction.of("no action: paused, and the cluster has no leader");
        }
        if (primary) {
            return new AcquireLock(false, false, "trying to take the vacant leader key as the running primary");
        }
        if (c.dynamic().isStandbyCluster()) {
            if (o.nofailover()) {
                return NoAction.of("no action: the standby cluster has no leader and I am tagged nofailover");
            }
            if (request.isPresent() && o.me().equals(request.get().leader()) && o.leaderlessSeconds() < c.dynamic().ttl()) {
                // As Patroni: the standby leader that handed over leaves the key to another member.
                return NoAction.of("waiting for another member to take over as the standby leader: I handed it over");
            }
            // No promotion: the winner becomes the standby leader and follows the remote primary.
            return new AcquireLock(true, false, "the standby cluster has no leader: trying to take over as the "
                    + "standby leader");
        }
        if (o.nofailover()) {
            return NoAction.of("no action: the cluster has no leader and I am tagged nofailover");
        }
        if (!c.mayPromote(o.me())) {
            return NoAction.of("no action: the cluster has no leader and I am not a synchronous standby "
                    + "(synchronous_mode: " + syncNames(c) + ")");
        }
        return new AcquireLock(true, true, "the cluster has no leader: trying to take over as the healthiest replica");
    }

    /**
     * I hold the key in a standby cluster: I never promote; I am the standby leader, a replica of the
     * remote primary that the other members cascade from (Patroni's standby leader).
     */
    private Decision decideStandbyLeader(Observation o, StandbyCluster standby, boolean primary) {
        if (primary) {
            if (o.cluster().dynamic().pause()) {
                return NoAction.of("paused: I run as a primary in a standby cluster; not demoting in maintenance mode");
            }
            return new Decision.DemoteToStandbyLeader("demoting self to the standby leader: the cluster is a standby "
                    + "cluster of " + standby.describe());
        }
        Optional<FailoverKey> key = o.cluster().failoverKey();
        if (key.isPresent() && key.get() instanceof FailoverKey.Invalid invalid) {
            return new ClearFailover(invalid.modRevision(), "removing an invalid failover key: " + invalid.reason());
        }
        if (key.isPresent()) {
            // As Patroni: the standby leader hands the key to a replica, which becomes the standby leader.
            return decideSwitchover(o, (FailoverRequest) key.get(), true);
        }
        if (standby.hostPort() != null && !standby.hostPort().equals(o.upstream()) && !o.cluster().dynamic().pause()) {
            return new Decision.FollowRemote("following " + standby.describe() + " as the standby leader");
        }
        return new NoAction("no action: I am the standby leader with the lock", true);
    }

    /** Who may take over in synchronous mode, in words. */
    private static String syncNames(ClusterView c) {
        SyncState sync = c.sync();
        Set<String> names = new TreeSet<>(sync.standbys());
        if (sync.leader() != null) {
            names.add(sync.leader());
        }
        return names.isEmpty() ? "the sync key lists no member, so no one may take over"
                : "only " + String.join(", ", names) + " may take over";
    }

    /** The leader with a {@code failover} key: a switchover to carry out, wait for, or clean up. */
    private Decision decideSwitchover(Observation o, FailoverRequest r, boolean standbyLeader) {
        ClusterView c = o.cluster();
        if (o.me().equals(r.candidate())) {
            return new ClearFailover(r.modRevision(), "the requested take-over by me is complete: removing the request");
        }
        if (r.leader() != null && !r.leader().equals(o.me())) {
            return new ClearFailover(r.modRevision(), "removing a switchover request for leader " + r.leader()
                    + ": I am the leader");
        }
        if (r.scheduledAt() != null) {
            double delta = java.time.Duration.between(o.now(), r.scheduledAt().toInstant()).toMillis() / 1000.0;
            if (delta > 0) {
                return new NoAction("no action: I am the leader with the lock; switchover"
                        + (r.candidate() == null ? "" : " to " + r.candidate()) + " scheduled at " + r.scheduledAt(), true);
            }
            if (delta < -1.5 * c.dynamic().loopWait() - 1) {
                return new ClearFailover(r.modRevision(), "removing a stale switchover request scheduled at "
                        + r.scheduledAt());
            }
        }
        if (r.candidate() != null) {
            Optional<Takeover.Problem> problem = Takeover.check(c, r.candidate(), true);
            if (problem.isPresent()) {
                return new ClearFailover(r.modRevision(), "switchover cancelled: " + r.candidate()
                        + (problem.get() == Takeover.Problem.NOT_SYNCHRONOUS
                        ? " is not a synchronous standby (synchronous_mode)"
                        : " is not a running replica that may take over"));
            }
            return new Switchover(r.candidate(), standbyLeader
                    ? "switching over to " + r.candidate() + " inside the standby cluster: handing the standby leader "
                    + "role over, stopping gracefully"
                    : "switching over to " + r.candidate() + ": demoting self gracefully");
        }
        if (c.dynamic().pause()) {
            // As Patroni: in maintenance mode only a named candidate takes over (the REST API refuses the rest).
            return new ClearFailover(r.modRevision(), "switchover cancelled: in a paused state a switchover is "
                    + "possible only to a specific candidate");
        }
        if (!Takeover.anyoneBut(c, o.me())) {
            return new ClearFailover(r.modRevision(), "switchover cancelled: no running replica may take over"
                    + (c.dynamic().synchronousMode() ? " (synchronous_mode: only a synchronous standby may)" : ""));
        }
        return new Switchover(null, standbyLeader
                ? "switching over to the best replica inside the standby cluster: handing the standby leader role "
                + "over, stopping gracefully"
                : "switching over to the best replica: demoting self gracefully");
    }
}
