package dev.baton.agent.ha;

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
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
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
        boolean keyOnMyLease;
        DataDirInfo dir = data(SYSID, false);
        boolean alive = true;
        PgStatus pg = replica(100);
        String upstream;
        boolean nofailover;
        boolean nostream;
        String replicatefrom;
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

        /** The leader key is bound to my lease but its value was overwritten with {@code value}. */
        Case overwrittenOnMyLease(String value) {
            leader = value;
            keyOnMyLease = true;
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

        Case nostream() {
            nostream = true;
            return this;
        }

        /** Member {@code name} (already added) publishes these tags and this WAL position. */
        Case tagged(String name, Map<String, Object> tags, long wal) {
            MemberStatus m = members.get(name);
            members.put(name, new MemberStatus(m.name(), m.connUrl(), m.apiUrl(), m.state(), m.role(), wal,
                    m.timeline(), tags, m.version(), m.pendingRestart(), m.paused(), m.checkpointAfterPromote()));
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
                    new Observation.Memory(busy, downSeconds, leaderlessSeconds, rewindRequested, rewindFailed), now,
                    lockIsMine || keyOnMyLease, nostream, replicatefrom);
        }

        Case replicatefrom(String name) {
            replicatefrom = name;
            return this;
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

    /** A replica whose WAL receiver does not run (it restores WAL from the archive, or has nowhere to stream from). */
    static PgStatus archiveReplica(long lsn) {
        return new PgStatus(true, true, 1, 0, 0, lsn, null, false, false, null, 0, "t", 150000, List.of());
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

    /** One row of the decision table: under a section, a situation, what is decided and its sentence. */
    record Row(String section, String situation, Case c, Class<? extends Decision> type, String sentence) {
    }

    /** The table, section by section, in the order docs/architecture.md §4 shows it. */
    static final class Table {
        final List<Row> rows = new java.util.ArrayList<>();
        private String section = "";

        void section(String title) {
            section = title;
        }

        void row(String situation, Case c, Class<? extends Decision> type, String sentence) {
            rows.add(new Row(section, situation, c, type, sentence));
        }
    }

    static Stream<Arguments> table() {
        return rows().stream().map(r -> Arguments.of(r.situation(), r.c(), r.type(), r.sentence()));
    }

    static List<Row> rows() {
        DataDirInfo empty = DataDirInfo.of(DataDirInfo.Kind.EMPTY);
        DataDirInfo absent = DataDirInfo.of(DataDirInfo.Kind.ABSENT);
        Table t = new Table();
        t.section("A long action runs");
        t.row("initdb runs", c().init("").mine().busy(LongAction.BOOTSTRAP.running()),
                        Decision.NoAction.class, "bootstrap (initdb) in progress");
        t.row("pg_basebackup runs", c().leader("node1").busy(LongAction.CLONE.on("node1")),
                        Decision.NoAction.class, "clone from node1 in progress");
        t.row("I took the key after the leader's lease expired and fence the old primary before promoting",
                        c().mine().busy(LongAction.FENCE.on("node1 (over sql)")),
                        Decision.NoAction.class, "promoting: fencing node1 (over sql)");
        t.row("The old primary is fenced; I wait for the WAL it flushed before promoting",
                        c().mine().busy(LongAction.DRAIN.on("node1 to 0/3000060")),
                        Decision.NoAction.class, "promoting: draining WAL from node1 to 0/3000060");
        t.row("I hold the lock and postgres has not been running for primary_start_timeout while it starts",
                        c().mine().busy(LongAction.START_PRIMARY.running()).down(12),
                        Decision.ReleaseLock.class, "primary_start_timeout");
        t.section("Refusals: the agent exits with status 2 and touches nothing");
        t.row("It holds data of another system identifier than the cluster's", c().leader("node1").dir(data("999", false)),
                        Decision.Fatal.class, "refusing to start: the data directory belongs to database system 999");
        t.row("The initialize key holds garbage, not a system identifier: nothing to refuse",
                        c().init("garbage{").leader("node1").dir(data("999", false)),
                        Decision.Follow.class, "following new leader node1");
        t.row("The data directory is not empty and not PostgreSQL's (or cannot be read)", c().dir(DataDirInfo.invalid("/x is not empty and is not a PostgreSQL data directory")),
                        Decision.Fatal.class, "refusing to start: /x is not empty");
        t.section("No data (directory absent or empty)");
        t.row("No initialize key and no leader", c().init(null).dir(absent).pg(false, PgStatus.stopped()),
                        Decision.Bootstrap.class, "bootstrapping a new cluster");
        t.row("No initialize key and no leader; I am tagged nofailover",
                        c().init(null).dir(absent).pg(false, PgStatus.stopped()).nofailover(),
                        Decision.NoAction.class, "I am tagged nofailover");
        t.row("initialize is \"\" (a bootstrap runs)", c().init("").dir(empty).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for the leader to bootstrap the cluster");
        t.row("A leader but no initialize key", c().init(null).leader("node1").dir(empty)
                                .pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for the leader to bootstrap the cluster");
        t.row("I hold the lock", c().mine().dir(empty).pg(false, PgStatus.stopped()),
                        Decision.ReleaseLock.class, "releasing the leader key: my data directory is empty");
        t.row("No leader", c().dir(empty).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "waiting for a leader to clone from: the cluster has no leader");
        t.row("The leader is not running (or publishes no conn_url)", c().dir(empty).pg(false, PgStatus.stopped())
                                .member("node1", "starting", "127.0.0.1", 5432).leaderOnly("node1"),
                        Decision.NoAction.class, "waiting for leader node1 to be running before cloning");
        t.row("The leader runs", c().leader("node1").dir(empty).pg(false, PgStatus.stopped()),
                        Decision.Clone.class, "cloning a replica from leader node1");
        t.row("Running members other than the leader are tagged clonefrom: the most advanced, then by name, is the source",
                        c().leader("node1").dir(empty).pg(false, PgStatus.stopped())
                                .member("node3", "running", "127.0.0.3", 5432).tagged("node3", Map.of("clonefrom", true), 50)
                                .member("node4", "running", "127.0.0.4", 5432).tagged("node4", Map.of("clonefrom", true), 90)
                                .member("node5", "stopped", "127.0.0.5", 5432).tagged("node5", Map.of("clonefrom", true), 99),
                        Decision.Clone.class, "cloning a replica from node4 (tagged clonefrom)");
        t.section("Data, but the cluster has no system identifier yet");
        t.row("No leader; the directory last ran as a primary", c().init(null).dir(data(SYSID, false)).pg(false, PgStatus.stopped()),
                        Decision.AdoptExisting.class, "taking over an existing primary data directory");
        t.row("The directory last ran as a standby", c().init(null).dir(data(SYSID, true)).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "the cluster has no initialize key");
        t.section("A leader key left by my previous run");
        t.row("The key holds my name on another lease; my postgres runs as a primary",
                        c().leaderOnly("me").pg(true, primary(100)),
                        Decision.ReclaimLock.class, "reclaiming my leader key");
        t.row("The key holds my name on another lease; my postgres is stopped and last ran as a primary",
                        c().leaderOnly("me").pg(false, PgStatus.stopped()),
                        Decision.ReclaimLock.class, "reclaiming my leader key");
        t.row("The key is bound to my lease but names someone else; my postgres runs as a primary",
                        c().overwrittenOnMyLease("garbage{").pg(true, primary(100)),
                        Decision.RepairLock.class, "repairing my leader key: it named \"garbage{\", but only I can hold it");
        t.row("The key is bound to my lease but names someone else; I am a replica",
                        c().overwrittenOnMyLease("node1").member("node1", "running", "127.0.0.1", 5432),
                        Decision.Follow.class, "following");
        t.section("Postgres stopped (no postmaster)");
        t.row("I hold the lock; primary_start_timeout is 0",
                        c().mine().pg(false, PgStatus.stopped()).down(0).dynamic(withPrimaryStartTimeout(0)),
                        Decision.ReleaseLock.class, "primary_start_timeout is 0");
        t.row("I hold the lock; postgres has been down for primary_start_timeout",
                        c().mine().pg(false, PgStatus.stopped()).down(11),
                        Decision.ReleaseLock.class, "primary_start_timeout (10 s)");
        t.row("I hold the lock", c().mine().pg(false, PgStatus.stopped()),
                        Decision.StartPrimary.class, "starting postgres as the primary: I hold the leader key");
        t.row("My last rewind failed (against the current leader)", c().leader("node1").rewindFailed("pg_rewind failed (x)")
                                .pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "not starting postgres: pg_rewind failed");
        t.row("Another member leads, my data may have diverged, and its checkpoint after promotion still runs",
                        c().leader("node1").leaderCheckpointPending().pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "to checkpoint after its promotion");
        t.row("Another member leads; my data last ran as a primary", c().leader("node1").dir(data(SYSID, false))
                                .pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "after rewinding");
        t.row("Another member leads; I stopped to be rewound", c().leader("node1").dir(data(SYSID, true))
                                .rewindRequested().pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "after rewinding");
        t.row("Another member leads", c().leader("node1").dir(data(SYSID, true))
                                .pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "starting as a replica of node1");
        t.row("No leader for less than ttl; my data last ran as a primary",
                        c().pg(false, PgStatus.stopped()).leaderless(2),
                        Decision.NoAction.class, "waiting for a new leader before starting my former primary data");
        t.row("No leader for ttl; my data last ran as a primary",
                        c().pg(false, PgStatus.stopped()).leaderless(11),
                        Decision.StartReplica.class, "starting as a read-only replica");
        t.row("No leader", c().dir(data(SYSID, true)).pg(false, PgStatus.stopped()),
                        Decision.StartReplica.class, "starting as a read-only replica");
        t.section("Postmaster alive but not accepting connections");
        t.row("Crash recovery or start-up", c().leader("node1").pg(true, starting()),
                        Decision.NoAction.class, "postgres is starting up");
        t.section("Postgres running");
        t.row("I hold the lock; in recovery", c().mine().pg(true, replica(100)),
                        Decision.Promote.class, "promoting self: I hold the leader key");
        t.row("I hold the lock; a primary", c().mine().pg(true, primary(100)),
                        Decision.NoAction.class, "no action: I am the leader with the lock");
        t.row("Another member holds the key; I am a primary", c().leader("node1").pg(true, primary(100)),
                        Decision.Demote.class, "demoting self: node1 holds the leader key");
        t.row("The leader runs on a newer timeline, and history says my timeline ended before my WAL position",
                        c().leader("node1").leaderTimeline(2).history("[[1, 50, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .pg(true, replica(100)),
                        Decision.StopToRewind.class, "stopping to rewind");
        t.row("As above, but the leader is not running",
                        c().leaderOnly("node1").member("node1", "stopped", "127.0.0.1", 5432).leaderTimeline(2)
                                .history("[[1, 50, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .upstream("127.0.0.1:5432").pg(true, replica(100)),
                        Decision.NoAction.class, "following a leader node1");
        t.row("The leader runs on a newer timeline and I am behind its fork point",
                        c().leader("node1").leaderTimeline(2).history("[[1, 500, \"no recovery target specified\", \"t\", \"node1\"]]")
                                .pg(true, replica(100)),
                        Decision.Follow.class, "following new leader node1");
        t.row("primary_conninfo points elsewhere than the leader", c().leader("node1").upstream("127.0.0.1:6000"),
                        Decision.Follow.class, "following new leader node1");
        t.row("primary_conninfo points nowhere", c().leader("node1").upstream(null),
                        Decision.Follow.class, "following new leader node1");
        t.row("I follow the leader", c().leader("node1").upstream("127.0.0.1:5432"),
                        Decision.NoAction.class, "no action: I am a secondary and I am following a leader node1");
        t.row("I am tagged nostream and primary_conninfo points somewhere", c().leader("node1").nostream()
                                .upstream("127.0.0.1:5432"),
                        Decision.Follow.class, "not streaming from leader node1: I am tagged nostream");
        t.row("I am tagged replicatefrom a running replica and stream from the leader",
                        c().leader("node1").member("node2", "running", "127.0.0.2", 5433).replicatefrom("node2")
                                .upstream("127.0.0.1:5432"),
                        Decision.Follow.class, "streaming from node2 (tagged replicatefrom) instead of leader node1");
        t.row("I stream from my replicatefrom member",
                        c().leader("node1").member("node2", "running", "127.0.0.2", 5433).replicatefrom("node2")
                                .upstream("127.0.0.2:5433"),
                        Decision.NoAction.class, "no action: I am a secondary and I am replicating from node2 "
                                + "(tagged replicatefrom), leader node1");
        t.row("My replicatefrom member stopped",
                        c().leader("node1").member("node2", "stopped", "127.0.0.2", 5433).replicatefrom("node2")
                                .upstream("127.0.0.2:5433"),
                        Decision.Follow.class, "following leader node1: replicatefrom member node2 is not running (stopped)");
        t.row("My replicatefrom member is gone and I follow the leader",
                        c().leader("node1").replicatefrom("node2").upstream("127.0.0.1:5432"),
                        Decision.NoAction.class, "no action: I am a secondary and I am following a leader node1");
        t.row("I am tagged replicatefrom the leader", c().leader("node1").replicatefrom("node1").upstream("127.0.0.1:5432"),
                        Decision.NoAction.class, "no action: I am a secondary and I am following a leader node1");
        t.row("I am tagged nostream and primary_conninfo points nowhere", c().leader("node1").nostream()
                                .pg(true, archiveReplica(100)),
                        Decision.NoAction.class, "no action: I am a secondary tagged nostream; I do not stream from "
                                + "leader node1 (WAL comes from the archive only)");
        t.row("The key holds my name on another lease; I am a replica", c().leaderOnly("me"),
                        Decision.NoAction.class, "waiting for my stale leader key to expire");
        t.row("No leader; I am a primary", c().pg(true, primary(100)),
                        Decision.AcquireLock.class, "as the running primary");
        t.row("No leader; I am tagged nofailover (or failover_priority 0)", c().nofailover(),
                        Decision.NoAction.class, "tagged nofailover");
        t.row("No leader", c(),
                        Decision.AcquireLock.class, "the cluster has no leader");
        t.section("Maintenance mode (pause)");
        t.row("Postgres is stopped", c().leader("node1").dynamic(paused()).pg(false, PgStatus.stopped()),
                        Decision.NoAction.class, "do not start it in maintenance mode");
        t.row("I run as a primary while another member holds the key",
                        c().leader("node1").dynamic(paused()).pg(true, primary(100)),
                        Decision.NoAction.class, "not demoting in maintenance mode");
        t.row("I hold the lock", c().mine().dynamic(paused()).pg(true, primary(100)),
                        Decision.NoAction.class, "no action: I am the leader with the lock");
        t.row("No leader", c().dynamic(paused()),
                        Decision.NoAction.class, "paused");
        t.row("No leader; a failover request names me",
                        c().dynamic(paused()).failover("{\"member\":\"me\"}"),
                        Decision.AcquireLock.class, "requested candidate");
        t.section("Switchover and failover requests (the failover key)");
        t.row("I lead; a switchover to a running replica",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2");
        t.row("I lead; a switchover to any replica",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\"}"),
                        Decision.Switchover.class, "switching over to the best replica");
        t.row("I lead; a switchover scheduled later",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T12:05:00+00:00\"}"),
                        Decision.NoAction.class, "scheduled at");
        t.row("I lead; a switchover scheduled now",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T11:59:59.5+00:00\"}"),
                        Decision.Switchover.class, "switching over to node2");
        t.row("I lead; a switchover scheduled more than 1.5 loop_wait ago",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\",\"scheduled_at\":\"2026-11-22T11:00:00+00:00\"}"),
                        Decision.ClearFailover.class, "stale switchover request");
        t.row("I lead; the candidate is not a running replica that may take over",
                        c().mine().pg(true, primary(100)).member("node2", "stopped", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.ClearFailover.class, "switchover cancelled: node2");
        t.row("I lead; the request named me as the candidate",
                        c().mine().pg(true, primary(100)).failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.ClearFailover.class, "take-over by me is complete");
        t.row("I lead; the key is invalid (here a scheduled_at without offset): removed, never executed",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"scheduled_at\":\"2026-11-22 12:00:00\"}"),
                        Decision.ClearFailover.class, "removing an invalid failover key: scheduled_at");
        t.row("I lead; Patroni's legacy form leader:candidate",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .failover("me:node2"),
                        Decision.Switchover.class, "switching over to node2");
        t.row("No leader; an invalid key naming me is no request",
                        c().leaderless(1).failover("{\"member\":\"me\",\"scheduled_at\":\"soon\"}"),
                        Decision.AcquireLock.class, "healthiest");
        t.row("No leader; the request names me",
                        c().failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.AcquireLock.class, "requested candidate");
        t.row("No leader for less than ttl; the request names another member",
                        c().leaderless(1).failover("{\"leader\":\"node1\",\"member\":\"node3\"}"),
                        Decision.NoAction.class, "waiting for node3");
        t.row("No leader for ttl; the request names another member",
                        c().leaderless(11).failover("{\"leader\":\"node1\",\"member\":\"node3\"}"),
                        Decision.AcquireLock.class, "healthiest");
        t.section("Synchronous mode");
        t.row("No leader; the sync key lists me",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"me\"}"),
                        Decision.AcquireLock.class, "healthiest replica");
        t.row("No leader; the sync key lists me among others",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2,me\"}"),
                        Decision.AcquireLock.class, "healthiest replica");
        t.row("No leader; the sync key names me as its leader",
                        c().sync("{\"leader\":\"me\",\"sync_standby\":\"node2\"}"),
                        Decision.AcquireLock.class, "healthiest replica");
        t.row("No leader; the sync key does not list me",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}"),
                        Decision.NoAction.class, "I am not a synchronous standby (synchronous_mode: only node1, node2");
        t.row("No leader; the primary ran without a synchronous standby",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":null}"),
                        Decision.NoAction.class, "only node1 may take over");
        t.row("No leader; no sync key",
                        c().sync(null),
                        Decision.NoAction.class, "the sync key lists no member");
        t.row("No leader; a request names me, but the sync key does not list me",
                        c().sync("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}")
                                .failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.NoAction.class, "not taking over as the requested candidate");
        t.row("I lead; a switchover to a replica the sync key does not list",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":\"node3\"}")
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.ClearFailover.class, "node2 is not a synchronous standby");
        t.row("I lead; a switchover to the listed standby",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":\"node2\"}")
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2");
        t.row("I lead; a switchover to any replica, none listed",
                        c().mine().pg(true, primary(100)).member("node2", "running", "127.0.0.1", 5433)
                                .sync("{\"leader\":\"me\",\"sync_standby\":null}")
                                .failover("{\"leader\":\"me\"}"),
                        Decision.ClearFailover.class, "only a synchronous standby may");
        standbyCluster(t, empty);
        return t.rows;
    }

    /** A standby cluster of the remote primary 10.0.0.1:5432. */
    static DynamicConfig standby() {
        return DynamicConfig.defaults().withStandbyCluster(dev.baton.config.StandbyCluster.of("10.0.0.1", 5432));
    }

    /** The standby cluster's rows (issue 18): the key holder is a standby leader, never a primary. */
    static void standbyCluster(Table t, DataDirInfo empty) {
        t.section("Standby cluster (standby_cluster in the config key)");
        t.row("No initialize key and no leader: the first member clones the remote primary instead of initdb",
                        c().init(null).dir(empty).pg(false, PgStatus.stopped()).dynamic(standby()),
                        Decision.BootstrapStandby.class,
                        "bootstrapping a new standby cluster: cloning the remote primary 10.0.0.1:5432");
        t.row("I hold the lock and postgres is stopped",
                        c().mine().dir(data(SYSID, true)).pg(false, PgStatus.stopped()).dynamic(standby()),
                        Decision.StartStandbyLeader.class,
                        "starting postgres as the standby leader, following the remote primary 10.0.0.1:5432");
        t.row("I hold the lock, postgres is stopped and its rewind against the remote primary failed (demote-cluster)",
                        c().mine().pg(false, PgStatus.stopped()).dynamic(standby())
                                .rewindFailed("pg_rewind failed (could not connect)"),
                        Decision.NoAction.class, "not starting postgres: pg_rewind failed (could not connect)");
        t.row("I hold the lock and stream from the remote primary",
                        c().mine().upstream("10.0.0.1:5432").dynamic(standby()),
                        Decision.NoAction.class, "no action: I am the standby leader with the lock");
        t.row("I hold the lock (just taken) and postgres still streams from the old standby leader",
                        c().mine().upstream("127.0.0.1:5433").dynamic(standby()),
                        Decision.FollowRemote.class, "following the remote primary 10.0.0.1:5432 as the standby leader");
        t.row("I hold the lock in a standby cluster of the archive only (restore_command, no host)",
                        c().mine().pg(true, archiveReplica(100)).dynamic(DynamicConfig.defaults().withStandbyCluster(
                                new dev.baton.config.StandbyCluster(null, 5432, null, List.of(), "cp /a/%f %p", null,
                                        null))),
                        Decision.NoAction.class, "no action: I am the standby leader with the lock");
        t.row("I hold the lock and run as a primary: the cluster became a standby cluster (demote-cluster)",
                        c().mine().pg(true, primary(100)).dynamic(standby()),
                        Decision.DemoteToStandbyLeader.class, "demoting self to the standby leader: the cluster is a "
                                + "standby cluster of the remote primary 10.0.0.1:5432");
        t.row("I hold the lock and a switchover to node2 is requested: I hand the standby leader role over",
                        c().mine().upstream("10.0.0.1:5432").dynamic(standby()).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2 inside the standby cluster: handing the "
                                + "standby leader role over, stopping gracefully");
        t.row("I hold the lock and a switchover to the best replica is requested",
                        c().mine().upstream("10.0.0.1:5432").dynamic(standby()).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\"}"),
                        Decision.Switchover.class, "switching over to the best replica inside the standby cluster");
        t.row("I hold the lock and a failover to node2 is requested (POST /failover names no leader)",
                        c().mine().upstream("10.0.0.1:5432").dynamic(standby()).member("node2", "running", "127.0.0.1", 5433)
                                .failover("{\"member\":\"node2\"}"),
                        Decision.Switchover.class, "switching over to node2 inside the standby cluster");
        t.row("I hold the lock and a switchover to a stopped member is requested",
                        c().mine().upstream("10.0.0.1:5432").dynamic(standby()).member("node2", "stopped", "127.0.0.1", 5433)
                                .failover("{\"leader\":\"me\",\"member\":\"node2\"}"),
                        Decision.ClearFailover.class, "switchover cancelled: node2 is not a running replica");
        t.row("I took the key as the requested candidate of a switchover: the request is done",
                        c().mine().upstream("127.0.0.1:5433").dynamic(standby())
                                .failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.ClearFailover.class, "the requested take-over by me is complete");
        t.row("No leader and I am the requested candidate: I take the key, never to promote",
                        c().dynamic(standby()).failover("{\"leader\":\"node1\",\"member\":\"me\"}"),
                        Decision.AcquireLock.class, "taking over as the requested candidate");
        t.row("No leader and I handed the standby leader role over: another member takes it",
                        c().dynamic(standby()).leaderless(1).failover("{\"leader\":\"me\"}"),
                        Decision.NoAction.class, "waiting for another member to take over as the standby leader: I "
                                + "handed it over");
        t.row("I handed the standby leader role over and postgres is stopped: node2 is the standby leader now",
                        c().leader("node2").dir(data(SYSID, true)).pg(false, PgStatus.stopped()).dynamic(standby()),
                        Decision.StartReplica.class, "starting as a replica of node2");
        t.row("No leader: a running replica races for the key, to become the standby leader (no promotion)",
                        c().dynamic(standby()),
                        Decision.AcquireLock.class, "the standby cluster has no leader: trying to take over as the "
                                + "standby leader");
        t.row("No leader; I am tagged nofailover", c().nofailover().dynamic(standby()),
                        Decision.NoAction.class, "no action: the standby cluster has no leader and I am tagged nofailover");
        t.row("Another member is the standby leader: I cascade from it",
                        c().leader("node1").upstream("127.0.0.1:5432").dynamic(standby()),
                        Decision.NoAction.class, "no action: I am a secondary and I am following a leader node1");
        t.row("standby_cluster was removed (promote-cluster): the standby leader promotes",
                        c().mine().upstream("10.0.0.1:5432"),
                        Decision.Promote.class, "promoting self: I hold the leader key");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, Case c, Class<? extends Decision> type, String sentence) {
        Decision d = new HaDecider().decide(c.observation());
        assertInstanceOf(type, d, () -> name + ": got " + d);
        assertTrue(d.reason().contains(sentence), () -> name + ": sentence was \"" + d.reason() + "\"");
    }

    @org.junit.jupiter.api.Test
    void withANoLeaderReplicaMethodAMemberWithoutDataClonesWithoutALeader() {
        Case noLeader = c().dir(DataDirInfo.of(DataDirInfo.Kind.EMPTY)).pg(false, PgStatus.stopped());
        Decision d = new HaDecider("restore").decide(noLeader.observation());
        assertEquals(new Decision.Clone(null, "cloning a replica without a leader (create_replica_method restore "
                + "works without one)"), d);
        Decision withLeader = new HaDecider("restore").decide(c().leader("node1")
                .dir(DataDirInfo.of(DataDirInfo.Kind.EMPTY)).pg(false, PgStatus.stopped()).observation());
        assertEquals("node1", ((Decision.Clone) withLeader).source(), "with a leader, it is the source as before");
    }

    @org.junit.jupiter.api.Test
    void aStandbyClusterNeverPromotesItsKeyHolder() {
        Decision race = new HaDecider().decide(c().dynamic(standby()).observation());
        assertEquals(new Decision.AcquireLock(true, false, "the standby cluster has no leader: trying to take over as "
                + "the standby leader"), race);
        Decision candidate = new HaDecider().decide(c().dynamic(standby()).failover("{\"member\":\"me\"}").observation());
        assertEquals(false, ((Decision.AcquireLock) candidate).promoteIfWon());
        Decision holder = new HaDecider().decide(c().mine().upstream("10.0.0.1:5432").dynamic(standby()).observation());
        assertEquals(new Decision.NoAction("no action: I am the standby leader with the lock", true), holder);
    }

    /**
     * A switchover inside a standby cluster, cycle by cycle, as each of the two members decides it
     * (Patroni's features/standby_cluster.feature "check switchover"): the standby leader stops
     * and releases the key; the candidate takes it without promoting, drops the request and
     * re-points at the remote primary; the old standby leader starts as its replica.
     */
    @org.junit.jupiter.api.Test
    void aSwitchoverInsideAStandbyClusterCycleByCycle() {
        HaDecider decider = new HaDecider();
        String request = "{\"leader\":\"me\",\"member\":\"node2\"}";
        // The standby leader (me) sees the request.
        Decision handOver = decider.decide(c().mine().upstream("10.0.0.1:5432").dynamic(standby())
                .member("node2", "running", "127.0.0.1", 5433).failover(request).observation());
        assertEquals(new Decision.Switchover("node2", "switching over to node2 inside the standby cluster: handing "
                + "the standby leader role over, stopping gracefully"), handOver);
        // The candidate (me here) sees no leader and the request naming it: it takes the key, no promotion.
        String named = "{\"leader\":\"node1\",\"member\":\"me\"}";
        Decision take = decider.decide(c().upstream("127.0.0.1:5432").dynamic(standby()).member("node1", "stopped",
                "127.0.0.1", 5432).failover(named).observation());
        assertEquals(new Decision.AcquireLock(false, false, "taking over as the requested candidate of a switchover "
                + "or failover"), take);
        // With the key: the request is done and removed first ...
        Decision done = decider.decide(c().mine().upstream("127.0.0.1:5432").dynamic(standby()).failover(named)
                .observation());
        assertEquals(Decision.ClearFailover.class, done.getClass());
        assertEquals("the requested take-over by me is complete: removing the request", done.reason());
        // ... then postgres, still streaming from the old standby leader, is pointed at the remote primary.
        Decision follow = decider.decide(c().mine().upstream("127.0.0.1:5432").dynamic(standby()).observation());
        assertEquals(new Decision.FollowRemote("following the remote primary 10.0.0.1:5432 as the standby leader"),
                follow);
        Decision steady = decider.decide(c().mine().upstream("10.0.0.1:5432").dynamic(standby()).observation());
        assertEquals(new Decision.NoAction("no action: I am the standby leader with the lock", true), steady);
        // The old standby leader (me again), stopped: it starts as a replica of the new one and stays one.
        Decision rejoin = decider.decide(c().leader("node2").dir(data(SYSID, true)).pg(false, PgStatus.stopped())
                .dynamic(standby()).observation());
        assertEquals(new Decision.StartReplica("node2", false, "starting as a replica of node2"), rejoin);
        Decision following = decider.decide(c().leader("node2").upstream("127.0.0.1:5432").dynamic(standby())
                .observation());
        assertEquals(Decision.NoAction.of("no action: I am a secondary and I am following a leader node2"), following);
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
