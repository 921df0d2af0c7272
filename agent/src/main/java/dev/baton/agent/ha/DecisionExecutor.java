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
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.config.StandbyCluster;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Carries out one cycle's {@link Decision}: the side effects only, each decision a few lines.
 * Whatever takes longer than a cycle goes to the {@link LongActionSlot}; the sentence returned is
 * the cycle's.
 */
record DecisionExecutor(BatonConfig config, ClusterStore store, PostgresController pg, PeerClient peers,
                        LongActionSlot slot, Promotion promotion, Rejoin rejoin, LeaderDuties duties,
                        MemberPublisher publisher, Handover handover, FenceBeforePromote fencer, LoopContext ctx,
                        RepositoryActions repository, CommandBootstrap command, CascadeSlots cascadeSlots,
                        ReplicaLogicalSlots logicalSlots) {
    private static final Logger LOG = Logger.getLogger(DecisionExecutor.class.getName());

    /**
     * Carries out {@code d}; {@code sureUntil} is what this cycle's renewal makes the lock worth.
     * The first cycle after a pre_promote script cancelled a promotion says so first.
     */
    String execute(Decision d, Observation o, long sureUntil) {
        String sentence = carryOut(d, o, sureUntil);
        String cancelled = promotion.takeCancellation();
        return cancelled == null ? sentence : cancelled + "; " + sentence;
    }

    private String carryOut(Decision d, Observation o, long sureUntil) {
        ClusterView view = o.cluster();
        DynamicConfig dynamic = ctx.dynamic();
        if (!o.lockIsMine()) {
            duties.notLeading();
        }
        if (d instanceof NoAction n) {
            if (n.leader()) {
                duties.run(view, o.pg(), dynamic);
            } else if (o.pg().running() && o.pg().inRecovery()) {
                duties.backups().runAsReplica(view);
                cascadeSlots.run(view, dynamic);
                logicalSlots.run(view, o.pg(), dynamic);
            }
            return n.reason();
        }
        if (d instanceof Fatal f) {
            throw new HaLoop.FatalException(f.reason());
        }
        if (d instanceof Bootstrap) {
            return bootstrap();
        }
        if (d instanceof Clone c) {
            return clone(c.source() == null ? null : view.member(c.source()).orElseThrow(),
                    upstreamMember(view, view.leaderMember().orElse(null)), c.reason());
        }
        if (d instanceof StartPrimary s) {
            slot.submit(LongAction.START_PRIMARY.running(), () -> {
                pg.configure(false, null, ctx.dynamic());
                pg.start(startTimeout(ctx.dynamic(), pg));
                ctx.listener().started(Role.PRIMARY);
            });
            return s.reason();
        }
        if (d instanceof StartReplica s) {
            return startReplica(view, s);
        }
        if (d instanceof Promote p) {
            return promotion.promote(view, o.pg().timeline(), dynamic, p.reason());
        }
        if (d instanceof AcquireLock a) {
            return acquire(o, a, sureUntil);
        }
        if (d instanceof ReclaimLock r) {
            if (!store.rebindLeader(view.snapshot().leader().modRevision())) {
                return "could not reclaim my leader key: it changed";
            }
            ctx.holdLock(sureUntil);
            return r.reason();
        }
        if (d instanceof Decision.RepairLock r) {
            if (!store.repairLeader(view.snapshot().leader().modRevision())) {
                return "could not repair my leader key: it changed";
            }
            ctx.holdLock(sureUntil);
            return r.reason();
        }
        if (d instanceof Demote dm) {
            ctx.holdLock(0);
            pg.stop(StopMode.IMMEDIATE, pg.pgCtlTimeout()); // a fence: no before_stop
            ctx.dataDirChanged();
            ctx.listener().stopped(Role.PRIMARY);
            ctx.listener().roleChanged(Role.REPLICA);
            return dm.reason();
        }
        if (d instanceof Switchover sw) {
            return switchover(sw, view);
        }
        if (d instanceof ClearFailover cf) {
            store.deleteFailover(cf.modRevision());
            duties.run(view, o.pg(), dynamic);
            return cf.reason();
        }
        if (d instanceof StopToRewind s) {
            rejoin.request();
            pg.beforeStop();
            pg.stop(StopMode.FAST, pg.pgCtlTimeout());
            ctx.dataDirChanged();
            ctx.listener().stopped(Role.REPLICA);
            return s.reason();
        }
        if (d instanceof Follow f) {
            pg.configure(true, streamFrom(view.member(f.upstream()).orElseThrow()), dynamic);
            pg.reload();
            ctx.listener().reloaded(Role.REPLICA); // on_reload, as Patroni's follow() by reload
            return f.reason();
        }
        if (d instanceof ReleaseLock r) {
            ctx.holdLock(0);
            store.releaseLeader();
            return r.reason();
        }
        if (d instanceof Decision.BootstrapStandby b) {
            return bootstrapStandby(view.dynamic(), b);
        }
        if (d instanceof Decision.StartStandbyLeader s) {
            StandbyCluster sc = dynamic.standbyCluster();
            slot.submit(LongAction.START_REPLICA.running(), () -> {
                pg.configure(true, Upstream.remote(sc), ctx.dynamic());
                pg.start(startTimeout(ctx.dynamic(), pg));
                ctx.listener().started(Role.REPLICA);
            });
            return s.reason();
        }
        if (d instanceof Decision.FollowRemote f) {
            pg.configure(true, Upstream.remote(dynamic.standbyCluster()), dynamic);
            pg.reload();
            ctx.listener().reloaded(Role.STANDBY_LEADER);
            return f.reason();
        }
        if (d instanceof Decision.DemoteToStandbyLeader dm) {
            return demoteToStandbyLeader(dynamic.standbyCluster(), dm);
        }
        if (d instanceof AdoptExisting a) {
            if (!store.tryAcquireLeader()) {
                return "lost the race to take over the existing data directory";
            }
            store.createInitialize(o.dataDir().systemId());
            store.casConfig(config.bootstrap().dcs().toJson(), 0);
            return a.reason();
        }
        throw new IllegalStateException("unhandled decision " + d);
    }

    static Duration startTimeout(DynamicConfig dynamic) {
        return Duration.ofSeconds(Math.max(60, dynamic.primaryStartTimeout()));
    }

    /** How long a start may take: primary_start_timeout, at least pg_ctl_timeout. */
    static Duration startTimeout(DynamicConfig dynamic, PostgresController pg) {
        Duration pgCtl = pg.pgCtlTimeout();
        Duration primary = Duration.ofSeconds(dynamic.primaryStartTimeout());
        return primary.compareTo(pgCtl) > 0 ? primary : pgCtl;
    }

    /**
     * What primary_conninfo names for a replica of {@code leader}: the leader with this member's
     * slot; nothing when this member is tagged nostream (it restores WAL from the archive only,
     * as in Patroni) or the leader publishes no conn_url.
     */
    Upstream streamFrom(MemberStatus leader) {
        if (leader == null || leader.host() == null || ctx.tags().nostream()) {
            return null;
        }
        return new Upstream(leader.host(), leader.port(), SlotPlanner.slotName(config.name()));
    }

    /**
     * Whom a replica of {@code leader} streams from: its replicatefrom member when that one can be
     * streamed from ({@link Cascade}), else {@code leader}; a leader other than the cluster's (a
     * switchover's candidate) as given.
     */
    MemberStatus upstreamMember(ClusterView view, MemberStatus leader) {
        if (leader == null || !leader.name().equals(view.leader())) {
            return leader;
        }
        return Cascade.upstream(config.name(), ctx.tags().replicatefrom(), view).member().orElse(leader);
    }

    /**
     * Copies the data directory from {@code source} (the leader or a clonefrom member; null: a
     * no_leader method, without a source), then streams from {@code upstream} (the leader or its
     * replicatefrom member).
     */
    private String clone(MemberStatus source, MemberStatus upstream, String sentence) {
        Upstream up = streamFrom(upstream);
        slot.submit(repository.cloneStart(source), () -> {
            String how = repository.createReplica(source);
            LOG.info("replica data directory made by " + how);
            ctx.dataDirChanged();
            pg.configure(true, up, ctx.dynamic());
            pg.start(startTimeout(ctx.dynamic(), pg));
            ctx.listener().started(Role.REPLICA);
            rejoin.rejoined(true);
        });
        return repository.cloneSentence(sentence);
    }

    private String startReplica(ClusterView view, StartReplica s) {
        MemberStatus leader = s.leader() == null ? null : view.member(s.leader()).orElse(null);
        boolean leaderKnown = leader != null && leader.host() != null;
        Upstream up = streamFrom(upstreamMember(view, leader));
        LongAction.Running what = s.rewindFirst() ? LongAction.REWIND.on(s.leader()) : LongAction.START_REPLICA.running();
        slot.submit(what, () -> {
            if (s.rewindFirst() && leaderKnown) {
                rejoin.checkFenced(leader.name());
                if (!rejoin.rewindIfDiverged(leader, usePgRewind(), config.postgresql().removeDataDirectoryOnRewindFailure())) {
                    return;
                }
            }
            rejoin.started();
            pg.configure(true, up, ctx.dynamic());
            pg.start(startTimeout(ctx.dynamic(), pg));
            ctx.listener().started(Role.REPLICA);
            if (leaderKnown) {
                rejoin.rejoined(false);
            }
        });
        return s.reason();
    }

    private boolean usePgRewind() {
        Boolean local = config.postgresql().usePgRewind();
        return local != null ? local : ctx.dynamic().usePgRewind();
    }

    private String bootstrap() {
        if (!store.createInitialize("")) {
            return "lost the bootstrap race: another member is initializing the cluster";
        }
        if (!store.tryAcquireLeader()) {
            store.deleteInitialize("");
            return "lost the bootstrap race: another member holds the leader key";
        }
        if (repository.bootstrapsByRestore()) {
            return repository.bootstrap();
        }
        if (config.bootstrap().method() == dev.baton.config.BootstrapConfig.Method.CUSTOM) {
            return command.bootstrap();
        }
        DynamicConfig initial = config.bootstrap().dcs();
        slot.submit(LongAction.BOOTSTRAP.running(), () -> {
            try {
                pg.initdb();
                pg.configure(false, null, initial);
                pg.start(startTimeout(ctx.dynamic(), pg));
                NewCluster.register(pg, store, ctx, initial);
                ctx.listener().started(Role.PRIMARY);
            } catch (RuntimeException e) {
                NewCluster.undo(pg, store, "bootstrap", e);
                throw e;
            }
        });
        return "bootstrapping a new cluster: I won the initialize race";
    }

    /** Patroni's RemoteMember: the remote primary of a standby cluster as a member to clone from (null: no host). */
    static MemberStatus remoteMember(StandbyCluster sc) {
        if (sc.host() == null) {
            return null;
        }
        return new MemberStatus("the remote primary " + sc.hostPort(), "postgres://" + MemberPublisher.hostPort(
                sc.host(), sc.port()) + "/postgres", null, MemberState.RUNNING, Role.PRIMARY, 0, 0, java.util.Map.of(),
                null, false, false, null);
    }

    /**
     * A new standby cluster: the initialize and leader keys as {@link #bootstrap}, then (long) a clone
     * of the remote primary, started as the standby leader, the initialize key filled in with its
     * system identifier and the config and history keys written. No roles are made: the remote's are
     * copied, and the standby is read-only.
     */
    private String bootstrapStandby(DynamicConfig initial, Decision.BootstrapStandby b) {
        if (!store.createInitialize("")) {
            return "lost the bootstrap race: another member is initializing the cluster";
        }
        if (!store.tryAcquireLeader()) {
            store.deleteInitialize("");
            return "lost the bootstrap race: another member holds the leader key";
        }
        StandbyCluster sc = initial.standbyCluster();
        MemberStatus remote = remoteMember(sc);
        slot.submit(LongAction.CLONE.on(remote == null ? "the archive" : remote.name()), () -> {
            try {
                String how = repository.createStandbyReplica(remote, sc.createReplicaMethods());
                LOG.info("standby cluster data directory made by " + how);
                ctx.dataDirChanged();
                pg.configure(true, Upstream.remote(sc), initial);
                pg.start(startTimeout(initial, pg));
                ctx.dataDirChanged();
                String systemId = pg.inspectDataDir().systemId();
                if (!store.replaceInitialize("", systemId)) {
                    throw new dev.baton.agent.postgres.PostgresException("the initialize key changed while "
                            + "bootstrapping the standby cluster");
                }
                store.casConfig(initial.toJson(), 0);
                store.putHistory("[]");
                ctx.listener().started(Role.REPLICA);
                ctx.listener().roleChanged(Role.STANDBY_LEADER); // Patroni's on_role_change standby_leader
            } catch (RuntimeException e) {
                NewCluster.undo(pg, store, "standby cluster bootstrap", e);
                throw e;
            }
        });
        return b.reason() + ": I won the initialize race";
    }

    /**
     * demote-cluster: the primary holding the key stops (fast, keeping the key), is rewound against
     * the remote primary when its history left the remote's (as a former primary rejoining), and
     * starts again as the standby leader following it. A failed rewind leaves postgres down
     * ({@code not starting postgres: pg_rewind failed ...}).
     */
    private String demoteToStandbyLeader(StandbyCluster sc, Decision.DemoteToStandbyLeader dm) {
        MemberStatus remote = remoteMember(sc);
        slot.submit(LongAction.RESTART.on("as the standby leader"), () -> {
            pg.beforeStop();
            pg.stop(StopMode.FAST, pg.pgCtlTimeout());
            ctx.dataDirChanged();
            ctx.listener().stopped(Role.PRIMARY);
            ctx.listener().roleChanged(Role.STANDBY_LEADER);
            if (remote != null && !rejoin.rewindIfDiverged(remote, usePgRewind(),
                    config.postgresql().removeDataDirectoryOnRewindFailure())) {
                return;
            }
            pg.configure(true, Upstream.remote(sc), ctx.dynamic());
            pg.start(startTimeout(ctx.dynamic(), pg));
            ctx.dataDirChanged();
            ctx.listener().started(Role.REPLICA);
        });
        return dm.reason();
    }

    private String acquire(Observation o, AcquireLock a, long sureUntil) {
        long backoff = a.promoteIfWon() ? promotion.backoffSeconds(ctx.dynamic().ttl()) : 0;
        if (backoff > 0) {
            // Patroni's backoff: skip the leader race for a ttl after a pre_promote failure.
            return "not taking over: backing off " + backoff + " s more after the pre_promote script failed";
        }
        if (a.checkHealth()) {
            Candidacy.Verdict v = candidacy(o);
            if (!v.healthiest()) {
                return "not taking over: " + v.reason();
            }
        }
        boolean standbyLeader = !a.promoteIfWon() && o.pg().inRecovery();
        if (!a.promoteIfWon() && !standbyLeader && fencedHere()) {
            // This primary was fenced by the member that took over while this agent was frozen:
            // it never takes the key back; it rejoins as a replica, which undoes the fence.
            ctx.holdLock(0);
            pg.stop(StopMode.IMMEDIATE, pg.pgCtlTimeout()); // a fence: no before_stop
            ctx.dataDirChanged();
            ctx.listener().stopped(Role.PRIMARY);
            ctx.listener().roleChanged(Role.REPLICA);
            return "demoting self: my postgres was fenced by the member that took over; rejoining as a replica, "
                    + "not taking the leader key back";
        }
        if (!store.tryAcquireLeader()) {
            return "lost the leader race: another member took the leader key";
        }
        ctx.holdLock(sureUntil);
        if (a.promoteIfWon()) {
            MemberStatus old = fencer.failoverFrom(o.cluster());
            if (old != null) {
                fencer.owe(old);
            }
            return promotion.promote(o.cluster(), o.pg().timeline(), ctx.dynamic(), "promoting self: I acquired the leader key");
        }
        if (standbyLeader) {
            // A standby cluster: no promotion; the next cycle points postgres at the remote primary.
            // Patroni's on_role_change standby_leader, as a replica becomes the standby leader.
            ctx.listener().roleChanged(Role.STANDBY_LEADER);
            return "acquired the leader key: I am the standby leader now";
        }
        return "acquired the vacant leader key as the running primary";
    }

    /** Whether another member fenced this data directory (unknown counts as not). */
    private boolean fencedHere() {
        try {
            return pg.fenced();
        } catch (RuntimeException e) {
            LOG.warning("could not tell whether my data directory was fenced: " + e.getMessage());
            return false;
        }
    }

    /** The leader race: what the peers say now, judged by {@link Candidacy}. */
    private Candidacy.Verdict candidacy(Observation o) {
        ClusterView view = o.cluster();
        List<MemberStatus> others = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(config.name())) {
                others.add(m);
            }
        }
        DynamicConfig dynamic = ctx.dynamic();
        List<Candidacy.Peer> reports = others.isEmpty() ? List.of()
                : peers.poll(others, Duration.ofMillis(Math.min(2000, dynamic.loopWait() * 1000L + 500)));
        if (view.dynamic().synchronousMode()) {
            reports = Candidacy.limitToSynchronous(reports, view::mayPromote);
        }
        if (view.dynamic().synchronousQuorum()) {
            Candidacy.Verdict quorum = QuorumFailover.check(config.name(), o.pg().walPosition(), view.sync(), reports);
            if (!quorum.healthiest()) {
                return quorum;
            }
        }
        return Candidacy.evaluate(config.name(), o.pg().walPosition(), o.pg().timeline(), ctx.tags().priority(),
                dynamic.maximumLagOnFailover(), view.lastLeaderLsn(), reports);
    }

    /**
     * A planned handover: stop answering /primary now; on the long-action slot, stop postgres
     * cleanly, wait (bounded) until the candidate (or any replica) has received the shutdown
     * checkpoint, and only then release the leader key. The {@code failover} key stays, so the
     * candidate takes over and the others wait for it; the new leader removes the key.
     */
    private String switchover(Switchover sw, ClusterView view) {
        MemberStatus candidate = sw.candidate() == null ? null : view.member(sw.candidate()).orElse(null);
        // In a standby cluster the key holder is the standby leader: it hands that role over (Patroni).
        Role was = view.dynamic().isStandbyCluster() ? Role.STANDBY_LEADER : Role.PRIMARY;
        ctx.holdLock(0);
        publisher.stopped(MemberState.STOPPED);
        slot.submit(LongAction.HANDOVER.on(sw.candidate() == null ? "the best replica" : sw.candidate()), () -> {
            pg.beforeStop();
            pg.stop(StopMode.FAST, pg.pgCtlTimeout());
            ctx.dataDirChanged();
            ctx.listener().stopped(was);
            ctx.listener().roleChanged(Role.REPLICA);
            boolean confirmed = handover.awaitShutdownCheckpoint(sw.candidate());
            store.releaseLeader();
            LOG.info(confirmed ? "the shutdown checkpoint reached " + (sw.candidate() == null ? "a replica"
                    : sw.candidate()) + ", leader key released"
                    : "no replica confirmed the shutdown checkpoint in time, leader key released anyway");
            if (confirmed && candidate != null && candidate.host() != null && ctx.dynamic().pause()) {
                // As Patroni's graceful demote: follow the new leader at once. In maintenance mode the
                // loop does not start postgres; the candidate holds everything this node wrote.
                rejoin.started();
                pg.configure(true, streamFrom(candidate), ctx.dynamic());
                pg.start(startTimeout(ctx.dynamic()));
                ctx.listener().started(Role.REPLICA);
                rejoin.rejoined(false);
                LOG.info("paused: started as a replica of " + candidate.name() + " after the switchover");
            }
        });
        return sw.reason();
    }
}
