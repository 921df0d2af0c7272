package dev.baton.agent.ha;

import dev.baton.leader.model.Role;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.ClusterView;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HA state machine, table-tested without any I/O. */
class HaDeciderTest {
    static final String SYSID = "7300000000000000001";

    // ---------------------------------------------------------------- fixture builders

    static final class Case {
        String initialize = SYSID;
        String leader;
        boolean lockIsMine;
        DataDirInfo dir = data(SYSID, false);
        boolean alive = true;
        PgStatus pg = replica(100);
        String upstream;
        boolean nofailover;
        LongAction.Running busy;
        double downSeconds = -1;
        double leaderlessSeconds = -1;
        boolean rewindRequested;
        String rewindFailed;
        String history;
        String failover;
        String sync;
        java.time.Instant now = java.time.Instant.parse("2026-11-22T12:00:00Z");
        DynamicConfig dynamic = DynamicConfig.defaults();
        Map<String, MemberStatus> members = new LinkedHashMap<>();

        Case leader(String name) {
            leader = name;
            member(name, "running", "127.0.0.1", 5432);
            return this;
        }

        Case member(String name, String state, String host, int port) {
            members.put(name, new MemberStatus(name, host == null ? null : "postgres://" + host + ":" + port + "/postgres",
                    "http://" + host + ":8008/patroni", MemberState.parse(state), Role.REPLICA, 0, 1, Map.of(), "t", false,
                    false, null));
            return this;
        }

        /** Sets the leader key's holder without publishing a member for it. */
        Case leaderOnly(String name) {
            leader = name;
            return this;
        }

        Case mine() {
            leader = "me";
            lockIsMine = true;
            return this;
        }

        Case dir(DataDirInfo d) {
            dir = d;
            return this;
        }

        Case pg(boolean alive, PgStatus s) {
            this.alive = alive;
            this.pg = s;
            return this;
        }

        Case init(String v) {
            initialize = v;
            return this;
        }

        Case upstream(String u) {
            upstream = u;
            return this;
        }

        Case nofailover() {
            nofailover = true;
            return this;
        }

        Case busy(LongAction.Running b) {
            busy = b;
            return this;
        }

        Case down(double s) {
            downSeconds = s;
            return this;
        }

        Case leaderless(double s) {
            leaderlessSeconds = s;
            return this;
        }

        Case rewindRequested() {
            rewindRequested = true;
            return this;
        }

        Case rewindFailed(String why) {
            rewindFailed = why;
            return this;
        }

        Case history(String json) {
            history = json;
            return this;
        }

        Case leaderTimeline(int tl) {
            MemberStatus m = members.get(leader);
            members.put(leader, new MemberStatus(m.name(), m.connUrl(), m.apiUrl(), m.state(), Role.PRIMARY, 0, tl,
                    Map.of(), "t", false, false, m.checkpointAfterPromote()));
            return this;
        }

        Case leaderCheckpointPending() {
            MemberStatus m = members.get(leader);
            members.put(leader, new MemberStatus(m.name(), m.connUrl(), m.apiUrl(), m.state(), m.role(),
                    m.xlogLocation(), m.timeline(), m.tags(), m.version(), false, false, Boolean.FALSE));
            return this;
        }

        Case failover(String json) {
            failover = json;
            return this;
        }

        Case dynamic(DynamicConfig d) {
            dynamic = d;
            return this;
        }

        /** synchronous_mode on, with this {@code sync} key (null: absent). */
        Case sync(String json) {
            dynamic = synchronous();
            sync = json;
            return this;
        }

        Observation observation() {
            Map<String, MemberKey> keys = new LinkedHashMap<>();
            for (MemberStatus m : members.values()) {
                keys.put(m.name(), new MemberKey(m.name(), m.toJson(), 9, 1));
            }
            ClusterSnapshot snap = new ClusterSnapshot(1, null, null,
                    leader == null ? null : new LeaderKey(leader, lockIsMine ? 7 : 9, 1, 1), keys,
                    failover == null ? null : new VersionedValue(failover, 5, 5, 0),
                    sync == null ? null : new VersionedValue(sync, 6, 6, 0),
                    history == null ? null : new VersionedValue(history, 1, 1, 0), null);
            ClusterView view = new ClusterView(initialize, leader, lockIsMine ? 7 : 9, members, dynamic, true, 0, snap);
            return new Observation("me", nofailover, view, lockIsMine, new Observation.Local(dir, alive, pg, upstream),
                    new Observation.Memory(busy, downSeconds, leaderlessSeconds, rewindRequested, rewindFailed), now);
        }
    }

    static Case c() {
        return new Case();
    }

    static DataDirInfo data(String sysid, boolean standby) {
        return new DataDirInfo(DataDirInfo.Kind.INITIALIZED, sysid, standby ? "shut down in recovery" : "shut down",
                1, 100, standby, null);
    }

    static PgStatus primary(long lsn) {
        return new PgStatus(true, false, 1, lsn, 0, 0, null, false, false, null, 0, "t", 150000, List.of());
    }

    static PgStatus replica(long lsn) {
        return new PgStatus(true, true, 1, 0, lsn, lsn, null, false, true, "127.0.0.1", 5432, "t", 150000, List.of());
    }

    static PgStatus starting() {
        return PgStatus.stopped();
    }

    static DynamicConfig withPrimaryStartTimeout(int seconds) {
        DynamicConfig d = DynamicConfig.defaults();
        return new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(), seconds,
                d.usePgRewind(), d.useSlots(), d.parameters(), d.pause(), d.synchronousMode());
    }

    static DynamicConfig synchronous() {
        DynamicConfig d = DynamicConfig.defaults();
        return new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), false, true);
    }

    static DynamicConfig paused() {
        DynamicConfig d = DynamicConfig.defaults();
        return new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), true, d.synchronousMode());
    }

    // ---------------------------------------------------------------- the table

    static Stream<Arguments> table() {
        DataDirInfo empty = DataDirInfo.of(DataDirInfo.Kind.EMPTY);
        DataDirInfo absent = DataDirInfo.of(DataDirInfo.Kind.ABSENT);
        return Stream.of(
                // --- bootstrap
                row("empty dir, fresh cluster: bootstrap", c().init(null).dir(absent).pg(false, PgStatus.stopped()),
                        Decision.Bootstrap.class, "bootstrapping a new cluster"),
                row("empty dir, fresh cluster, nofailover: let others bootstrap",
                        c().init(null).dir(absent).pg(false, PgStatus.stopped()).nofailover(),
                        Decision.NoAction.class, "I am tagged nofailover"),
                row("empty dir, someone is bootstrapping: wait", c().init("").dir(empty).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for the leader to bootstrap the cluster"),
                row("empty dir, no initialize but a leader key: wait", c().init(null).leader("node1").dir(empty)
                                .pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for the leader to bootstrap the cluster"),
                row("empty dir, running leader: clone", c().leader("node1").dir(empty).pg(false, PgStatus.stopped()),
                        Decision.Clone.class, "cloning a replica from leader node1"),
                row("empty dir, leader not running yet: wait", c().dir(empty).pg(false, PgStatus.stopped())
                                .member("node1", "starting", "127.0.0.1", 5432).leaderOnly("node1"),
                        Decision.NoAction.class, "waiting for leader node1 to be running before cloning"),
                row("empty dir, initialized cluster without leader: wait", c().dir(empty).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for a leader to clone from: the cluster has no leader"),
                row("empty dir but I hold the lock: release it", c().mine().dir(empty).pg(false, PgStatus.stopped()),
                        Decision.ReleaseLock.class, "releasing the leader key: my data directory is empty"),
                row("bootstrap in progress: busy", c().init("").mine().busy(LongAction.BOOTSTRAP.running()),
                        Decision.NoAction.class, "bootstrap (initdb) in progress"),
                row("clone in progress: busy", c().leader("node1").busy(LongAction.CLONE.on("node1")),
                        Decision.NoAction.class, "clone from node1 in progress"),
                // --- refusals
                row("foreign data directory: refuse", c().leader("node1").dir(data("999", false)),
                        Decision.Fatal.class, "refusing to start: the data directory belongs to database system 999"),
                row("not a data directory: refuse", c().dir(DataDirInfo.invalid("/x is not empty and is not a PostgreSQL data directory")),
                        Decision.Fatal.class, "refusing to start: /x is not empty"),
                // --- existing data, no initialize key
                row("own primary data, no cluster keys: adopt", c().init(null).dir(data(SYSID, false)).pg(false, PgStatus.stopped()),
                        Decision.AdoptExisting.class, "taking over an existing primary data directory"),
                row("replica data, no cluster keys: wait", c().init(null).dir(data(SYSID, true)).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "the cluster has no initialize key"),
                // --- postgres stopped
                row("lock mine, postgres down: start primary", c().mine().pg(false, PgStatus.stopped()),
                        Decision.StartPrimary.class, "starting postgres as the primary: I hold the leader key"),
                row("lock mine, postgres down past primary_start_timeout: release",
                        c().mine().pg(false, PgStatus.stopped()).down(11),
                        Decision.ReleaseLock.class, "primary_start_timeout (10 s)"),
                row("lock mine, down, primary_start_timeout 0: release at once",
                        c().mine().pg(false, PgStatus.stopped()).down(0).dynamic(withPrimaryStartTimeout(0)),
                        Decision.ReleaseLock.class, "primary_start_timeout is 0"),
                row("other leader, replica data: start replica", c().leader("node1").dir(data(SYSID, true))
                                .pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "starting as a replica of node1"),
                row("other leader, my data was primary: rewind then follow", c().leader("node1").dir(data(SYSID, false))
                                .pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "after rewinding"),
                row("no leader, replica data down: start read-only", c().dir(data(SYSID, true)).pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "starting as a read-only replica"),
                row("no leader, former primary data: wait for a new leader first",
                        c().pg(false, PgStatus.stopped()).leaderless(2),
                        Decision.NoAction.class, "waiting for a new leader before starting my former primary data"),
                row("no leader for ttl, former primary data: start read-only and race",
                        c().pg(false, PgStatus.stopped()).leaderless(11),
                        Decision.StartReplica.class, "starting as a read-only replica"),
                row("leader still checkpointing after promotion: wait before rewinding",
                        c().leader("node1").leaderCheckpointPending().pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "to checkpoint after its promotion"),
                row("replica data but a rewind was requested: rewind", c().leader("node1").dir(data(SYSID, true))
                                .rewindRequested().pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "after rewinding"),
                row("rewind failed: stay down", c().leader("node1").rewindFailed("pg_rewind failed (x)")
                                .pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "not starting postgres: pg_rewind failed"),
                row("running replica past the new timeline's fork point: stop to rewind",
                        c().leader("node1").leaderTimeline(2).history("[[1, 50, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .pg(true, replica(100)),
                        Decision.StopToRewind.class, "stopping to rewind"),
                row("running replica past the fork point, but the leader is not running: wait, do not stop",
                        c().leaderOnly("node1").member("node1", "stopped", "127.0.0.1", 5432).leaderTimeline(2)
                                .history("[[1, 50, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .upstream("127.0.0.1:5432").pg(true, replica(100)),
                        Decision.NoAction.class, "following a leader node1"),
                row("running replica behind the fork point: just follow",
                        c().leader("node1").leaderTimeline(2).history("[[1, 500, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .pg(true, replica(100)),
                        Decision.Follow.class, "following new leader node1"),
                row("my name on the key from my previous run, running primary: reclaim",
                        c().leaderOnly("me").pg(true, primary(100)),
                        Decision.ReclaimLock.class, "reclaiming my leader key"),
                row("my name on the key from my previous run, primary data stopped: reclaim",
                        c().leaderOnly("me").pg(false, PgStatus.stopped()),
                        Decision.ReclaimLock.class, "reclaiming my leader key"),
                row("start as primary takes too long: release the key while it runs",
                        c().mine().busy(LongAction.START_PRIMARY.running()).down(12),
                        Decision.ReleaseLock.class, "primary_start_timeout"),
                row("postmaster alive, not accepting connections: wait", c().leader("node1").pg(true, starting()),
                        Decision.NoAction.class, "postgres is starting up"),
                // --- running
                row("lock mine, running primary: nothing to do", c().mine().pg(true, primary(100)),
                        Decision.NoAction.class, "no action: I am the leader with the lock"),
                row("lock mine, running replica: promote", c().mine().pg(true, replica(100)),
                        Decision.Promote.class, "promoting self: I hold the leader key"),
                row("other leader, I run as primary: demote", c().leader("node1").pg(true, primary(100)),
                        Decision.Demote.class, "demoting self: node1 holds the leader key"),
                row("other leader, following it: nothing", c().leader("node1").upstream("127.0.0.1:5432"),
                        Decision.NoAction.class, "no action: I am a secondary and I am following a leader node1"),
                row("other leader, following someone else: follow", c().leader("node1").upstream("127.0.0.1:6000"),
                        Decision.Follow.class, "following new leader node1"),
                row("other leader, following no one: follow", c().leader("node1").upstream(null),
                        Decision.Follow.class, "following new leader node1"),
                row("stale key with my name, replica: wait", c().leaderOnly("me"),
                        Decision.NoAction.class, "waiting for my stale leader key to expire"),
                row("no leader, replica: race", c(),
                        Decision.AcquireLock.class, "the cluster has no leader"),
                row("no leader, replica with nofailover: stay", c().nofailover(),
                        Decision.NoAction.class, "tagged nofailover"),
                row("no leader, running primary: take the key back", c().pg(true, primary(100)),
                        Decision.AcquireLock.class, "as the running primary"),
                row("no leader, paused: nothing", c().dynamic(paused()),
                        Decision.NoAction.class, "paused"),
                // --- pause
                row("paused, postgres down: do not start it", c().leader("node1").dynamic(paused()).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "do not start it in maintenance mode"),
                row("paused, primary while another holds the key: do not demote",
                        c().leader("node1").dynamic(paused()).pg(true, primary(100)),
                        Decision.NoAction.class, "not demoting in maintenance mode"),
                row("paused, leader with the lock: keep it", c().mine().dynamic(paused()).pg(true, primary(100)),
                        Decision.NoAction.class, "no action: I am the leader with the lock"),
                // --- switchover and failover requests
                row("leader, switchover to a running replica: demote gracefully",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2"),
                row("leader, switchover to the best: demote gracefully",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\"}"),
                        Decision.Switchover.class, "switching over to the best replica"),
                row("leader, switchover scheduled later: wait",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T12:05:00+00:00\"}"),
                        Decision.NoAction.class, "scheduled at"),
                row("leader, switchover scheduled now: go",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T11:59:59.5+00:00\"}"),
                        Decision.Switchover.class, "switching over to node2"),
                row("leader, stale scheduled switchover: remove it",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T11:00:00+00:00\"}"),
                        Decision.ClearFailover.class, "stale switchover request"),
                row("leader, candidate not running: cancel",
                        c().mine().pg(true, primary(100)).member("node2", "stopped", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.ClearFailover.class, "switchover cancelled: node2"),
                row("new leader sees the request that made it: remove it",
                        c().mine().pg(true, primary(100)).failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.ClearFailover.class, "take-over by me is complete"),
                row("no leader, I am the requested candidate: take over without the health check",
                        c().failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.AcquireLock.class, "requested candidate"),
                row("no leader, another member is the candidate: wait for it",
                        c().leaderless(1).failover("{\"leader\":\"node1\",\"member\":\"node3\"}"),
                        Decision.NoAction.class, "waiting for node3"),
                row("no leader, the candidate did not take over within ttl: race",
                        c().leaderless(11).failover("{\"leader\":\"node1\",\"member\":\"node3\"}"),
                        Decision.AcquireLock.class, "healthiest"),
                row("paused, no leader, I am the candidate: take over",
                        c().dynamic(paused()).failover("{\"member\":\"me\"}"),
                        Decision.AcquireLock.class, "requested candidate"),
                // --- synchronous mode
                row("sync mode, no leader, I am the synchronous standby: race",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"me\"}"),
                        Decision.AcquireLock.class, "healthiest replica"),
                row("sync mode, no leader, I am one of two synchronous standbys: race",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2,me\"}"),
                        Decision.AcquireLock.class, "healthiest replica"),
                row("sync mode, no leader, I am asynchronous: stay",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}"),
                        Decision.NoAction.class, "I am not a synchronous standby (synchronous_mode: only node1, node2"),
                row("sync mode, no leader, the primary ran without a standby: no one may take over",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":null}"),
                        Decision.NoAction.class, "only node1 may take over"),
                row("sync mode, no leader, no sync key yet: no one may take over",
                        c().sync(null),
                        Decision.NoAction.class, "the sync key lists no member"),
                row("sync mode, no leader, the former leader itself (its key expired) may take its key back",
                        c().sync("{\"leader\":\"me\",\"sync_standby\":\"node2\"}"),
                        Decision.AcquireLock.class, "healthiest replica"),
                row("sync mode, requested candidate but asynchronous: refuse",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}")
                                .failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.NoAction.class, "not taking over as the requested candidate"),
                row("sync mode, leader, switchover to an asynchronous replica: cancel",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":\"node3\"}")
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.ClearFailover.class, "node2 is not a synchronous standby"),
                row("sync mode, leader, switchover to the synchronous standby: go",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":\"node2\"}")
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2"),
                row("sync mode, leader, switchover to the best without a synchronous standby: cancel",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":null}")
                                .failover("{\"leader\":\"me\"}"),
                        Decision.ClearFailover.class, "only a synchronous standby may"));
    }

    static Arguments row(String name, Case c, Class<? extends Decision> type, String sentence) {
        return Arguments.of(name, c, type, sentence);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, Case c, Class<? extends Decision> type, String sentence) {
        Decision d = new HaDecider().decide(c.observation());
        assertInstanceOf(type, d, () -> name + ": got " + d);
        assertTrue(d.reason().contains(sentence), () -> name + ": sentence was \"" + d.reason() + "\"");
    }

    @org.junit.jupiter.api.Test
    void rewindOnlyWhenDataWasPrimary() {
        Decision asReplica = new HaDecider().decide(c().leader("node1").dir(data(SYSID, true)).pg(false, PgStatus.stopped()).observation());
        Decision asPrimary = new HaDecider().decide(c().leader("node1").dir(data(SYSID, false)).pg(false, PgStatus.stopped()).observation());
        assertEquals(false, ((Decision.StartReplica) asReplica).rewindFirst());
        assertEquals(true, ((Decision.StartReplica) asPrimary).rewindFirst());
    }

    @org.junit.jupiter.api.Test
    void theRequestedCandidateSkipsTheHealthCheck() {
        Decision d = new HaDecider().decide(c().failover("{\"member\":\"me\"}").observation());
        assertEquals(false, ((Decision.AcquireLock) d).checkHealth());
    }

    @org.junit.jupiter.api.Test
    void racingReplicaChecksHealthButLocklessPrimaryDoesNot() {
        assertTrue(((Decision.AcquireLock) new HaDecider().decide(c().observation())).checkHealth());
        assertEquals(false, ((Decision.AcquireLock) new HaDecider().decide(c().pg(true, primary(1)).observation())).checkHealth());
    }
}
