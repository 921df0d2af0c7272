package dev.baton.agent.metrics;

import dev.baton.agent.ha.NodeState;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.Role;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Computes every state gauge from the HA loop's last {@link NodeState} when Prometheus scrapes.
 * It only reads immutable objects (plus two clocks), so a scrape never waits for the loop and
 * never touches postgres or etcd.
 */
final class NodeStateCollector implements MultiCollector {
    /** Longest sentence exposed in {@code baton_last_cycle_info}; longer ones are cut. */
    static final int MAX_SENTENCE = 200;

    private final String scope;
    private final String member;
    private final String version;
    private final Supplier<NodeState> state;
    private final LongSupplier ticker;
    private final Clock clock;
    private final Labels baton;
    private final Labels patroni;
    private final double patroniVersion;
    /** The last timestamps parsed, reused while the loop reports the same text. */
    /** Whether this primary runs on through an etcd outage by failsafe mode (the HA loop's FailsafeState). */
    private volatile java.util.function.BooleanSupplier failsafeActive = () -> false;
    private final AtomicReference<Parsed> replayTs = new AtomicReference<>(Parsed.NONE);
    private final AtomicReference<Parsed> startTs = new AtomicReference<>(Parsed.NONE);

    NodeStateCollector(String scope, String member, String version, Supplier<NodeState> state, LongSupplier ticker,
                       Clock clock) {
        this.scope = scope;
        this.member = member;
        this.version = version == null ? "unknown" : version;
        this.state = state;
        this.ticker = ticker;
        this.clock = clock;
        this.baton = Labels.of("member", member, "scope", scope);
        this.patroni = Labels.of("name", member, "scope", scope);
        this.patroniVersion = patroniVersion(this.version);
    }

    /** Gauges with the same name collected in order, then turned into snapshots. */
    private static final class Gauges {
        private final Map<String, GaugeSnapshot.Builder> byName = new LinkedHashMap<>();

        void add(String name, String help, Labels labels, double value) {
            byName.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help))
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void add(String name, String help, Labels labels, boolean value) {
            add(name, help, labels, value ? 1 : 0);
        }

        /** Declares a gauge that may have no series in this scrape (e.g. no replica connected). */
        void declare(String name, String help) {
            byName.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help));
        }

        void into(List<MetricSnapshot> out) {
            byName.values().forEach(b -> out.add(b.build()));
        }
    }

    @Override
    public MetricSnapshots collect() {
        NodeState s = state.get();
        long now = ticker.getAsLong();
        double wallSeconds = clock.millis() / 1000.0;
        PgStatus pg = s.pg();
        ClusterView cluster = s.cluster();
        List<MetricSnapshot> out = new ArrayList<>();
        Gauges g = new Gauges();

        out.add(InfoSnapshot.builder().name("baton").help("Baton agent; the value is always 1")
                .dataPoint(InfoDataPointSnapshot.builder().labels(baton.add("version", version)).build()).build());

        // Role and leadership.
        String role = pg.runningAsPrimary() ? "primary" : pg.runningAsReplica() ? "replica" : "none";
        for (String r : new String[] {"primary", "replica", "none"}) {
            g.add("baton_role", "What postgres runs as: 1 for the current role (primary, replica, or none when it is not running)",
                    baton.add("role", r), r.equals(role));
        }
        boolean leader = s.holdsLock(now);
        g.add("baton_failsafe_active", "1 while this primary runs on through a cluster store outage because every "
                + "member in the failsafe key accepted POST /failsafe (failsafe_mode)", baton, failsafeActive.getAsBoolean());
        g.add("baton_is_leader", "1 while this member holds the leader key with a lease it is sure of", baton, leader);
        g.add("baton_lease_remaining_seconds",
                "Seconds until which this member is sure of its leader lease (0 when it does not hold the leader key)",
                baton, leader ? (s.lockValidUntilNanos() - now) / 1e9 : 0);
        g.add("baton_postgres_running", "1 while postgres accepts connections", baton, pg.running());
        g.add("baton_postgres_timeline", "postgres's current timeline (0 when it is not running)", baton, pg.timeline());

        // WAL positions.
        g.declare("baton_wal_position_bytes", "WAL position as a byte offset: pg_current_wal_lsn() on a primary, "
                + "max(received, replayed) on a replica (Patroni's xlog_location)");
        g.declare("baton_wal_received_bytes", "Replica: pg_last_wal_receive_lsn() as a byte offset");
        g.declare("baton_wal_replayed_bytes", "Replica: pg_last_wal_replay_lsn() as a byte offset");
        if (pg.running()) {
            g.add("baton_wal_position_bytes", null, baton, pg.walPosition());
        }
        if (pg.runningAsReplica()) {
            g.add("baton_wal_received_bytes", null, baton, pg.receivedLsn());
            g.add("baton_wal_replayed_bytes", null, baton, pg.replayedLsn());
        }

        // Replication, as the primary sees it (one series per pg_stat_replication row).
        g.declare("baton_replication_lag_bytes",
                "Primary: bytes of WAL a replica has not replayed yet (pg_current_wal_lsn() - replay_lsn), by replica");
        g.declare("baton_replication_flush_lag_bytes",
                "Primary: bytes of WAL a replica has not flushed yet (pg_current_wal_lsn() - flush_lsn), by replica");
        g.declare("baton_replication_lag_seconds",
                "Primary: replay_lag of pg_stat_replication in seconds, by replica (0 when caught up)");
        g.declare("baton_replication_streaming", "Primary: 1 if the replica's walsender is in state streaming");
        g.declare("baton_replication_sync", "Primary: 1 if the replica is a synchronous standby (sync_state sync or quorum)");
        if (pg.runningAsPrimary()) {
            g.add("baton_replication_connected_replicas", "Primary: rows in pg_stat_replication", baton,
                    pg.replication().size());
            for (PgStatus.Replica r : pg.replication()) {
                Labels l = baton.add("replica", r.applicationName() == null ? "" : r.applicationName());
                if (r.replayLsn() > 0) {
                    g.add("baton_replication_lag_bytes", null, l, Math.max(0, pg.writeLsn() - r.replayLsn()));
                }
                if (r.flushLsn() > 0) {
                    g.add("baton_replication_flush_lag_bytes", null, l, Math.max(0, pg.writeLsn() - r.flushLsn()));
                }
                Double seconds = replicationLagSeconds(pg, r);
                if (seconds != null) {
                    g.add("baton_replication_lag_seconds", null, l, seconds);
                }
                g.add("baton_replication_streaming", null, l, "streaming".equals(r.state()));
                g.add("baton_replication_sync", null, l,
                        "sync".equals(r.syncState()) || "quorum".equals(r.syncState()));
            }
        }

        // Replication, as the replica sees itself.
        g.declare("baton_replica_lag_bytes", "Replica: bytes behind the leader's last published WAL position "
                + "(status.optime - replayed), 0 when ahead");
        g.declare("baton_replica_receive_lag_bytes", "Replica: bytes not yet received of the leader's last published "
                + "WAL position (status.optime - received), 0 when ahead");
        g.declare("baton_replica_lag_seconds", "Replica: seconds since the last replayed transaction while received WAL "
                + "waits for replay (now - pg_last_xact_replay_timestamp()), 0 when all received WAL is replayed");
        g.declare("baton_replica_streaming", "Replica: 1 while the WAL receiver is streaming");
        g.declare("baton_replica_replay_paused", "Replica: 1 while WAL replay is paused");
        double replayedAt = replayTimestamp(pg.replayTimestamp());
        if (pg.runningAsReplica()) {
            long leaderLsn = cluster == null ? 0 : cluster.lastLeaderLsn();
            if (leaderLsn > 0) {
                g.add("baton_replica_lag_bytes", null, baton, Math.max(0, leaderLsn - pg.replayedLsn()));
                g.add("baton_replica_receive_lag_bytes", null, baton, Math.max(0, leaderLsn - pg.receivedLsn()));
            }
            if (pg.receivedLsn() <= pg.replayedLsn()) {
                g.add("baton_replica_lag_seconds", null, baton, 0);
            } else if (!Double.isNaN(replayedAt)) {
                g.add("baton_replica_lag_seconds", null, baton, Math.max(0, wallSeconds - replayedAt));
            }
            g.add("baton_replica_streaming", null, baton, pg.streaming());
            g.add("baton_replica_replay_paused", null, baton, pg.replayPaused());
        }

        // The HA loop.
        if (s.lastCycleNanos() != 0) {
            g.add("baton_last_cycle_age_seconds", "Seconds since the HA loop last finished a cycle", baton,
                    Math.max(0, (now - s.lastCycleNanos()) / 1e9));
        }
        out.add(InfoSnapshot.builder().name("baton_last_cycle").help("The sentence the last HA cycle ended with")
                .dataPoint(InfoDataPointSnapshot.builder().labels(baton.add("sentence", sentence(s.lastSentence())))
                        .build()).build());
        g.add("baton_pending_restart", "1 if postgres has parameter changes waiting for a restart", baton, s.pendingRestart());
        g.add("baton_paused", "1 while the cluster is paused (no automatic failover)", baton, s.paused());
        g.add("baton_nofailover", "1 if this member is tagged nofailover", baton, s.nofailover());
        if (s.dcsLastSeenEpochSeconds() > 0) {
            g.add("baton_dcs_last_seen_timestamp_seconds", "Unix time of the last successful read of etcd", baton,
                    s.dcsLastSeenEpochSeconds());
        }
        if (cluster != null) {
            g.add("baton_cluster_members", "Members with a key in etcd, as last read", baton, cluster.members().size());
            g.add("baton_cluster_has_leader", "1 if the leader key existed at the last read", baton, cluster.hasLeader());
            g.add("baton_config_invalid", "1 while the etcd config key holds invalid values (each kept at its last "
                    + "good value, see /patroni baton.config_warnings)", baton, !cluster.configProblems().isEmpty());
            g.add("baton_maximum_lag_on_failover_bytes",
                    "maximum_lag_on_failover of the dynamic configuration: a replica further behind is no failover candidate",
                    baton, cluster.dynamic().maximumLagOnFailover());
        }
        g.into(out);
        patroni(s, pg, cluster, replayedAt, out);
        return new MetricSnapshots(out);
    }

    /** primary's view of a replica's replay delay; 0 when it is caught up, null when PostgreSQL does not say. */
    static Double replicationLagSeconds(PgStatus pg, PgStatus.Replica r) {
        if (r.replayLagSeconds() != null) {
            return Math.max(0, r.replayLagSeconds());
        }
        // PostgreSQL clears replay_lag once a standby has replayed everything and WAL stopped moving.
        return r.replayLsn() > 0 && r.replayLsn() >= pg.writeLsn() ? 0.0 : null;
    }

    /** Patroni's metrics (api.py), same names and labels ({@code scope}, {@code name}). */
    private void patroni(NodeState s, PgStatus pg, ClusterView cluster, double replayedAt, List<MetricSnapshot> out) {
        Gauges p = new Gauges();
        boolean primary = s.role() == Role.PRIMARY;
        boolean replica = s.role() == Role.REPLICA;
        p.add("patroni_version", "Patroni semver without periods.", patroni, patroniVersion);
        p.add("patroni_postgres_running", "Value is 1 if Postgres is running, 0 otherwise.", patroni, pg.running());
        p.add("patroni_postmaster_start_time", "Epoch seconds since Postgres started.", patroni,
                pg.running() ? zeroIfNaN(startTime(pg.startedAt())) : 0);
        p.add("patroni_primary", "Value is 1 if this node is the leader, 0 otherwise.", patroni, primary);
        p.add("patroni_xlog_location", "Current location of the Postgres transaction log, 0 if this node is not the leader.",
                patroni, pg.runningAsPrimary() ? pg.writeLsn() : 0);
        p.add("patroni_standby_leader", "Value is 1 if this node is the standby_leader, 0 otherwise.", patroni,
                s.role() == Role.STANDBY_LEADER);
        p.add("patroni_replica", "Value is 1 if this node is a replica, 0 otherwise.", patroni, replica);
        p.add("patroni_sync_standby", "Value is 1 if this node is a sync standby replica, 0 otherwise.", patroni,
                isSyncStandby(cluster) && !cluster.dynamic().synchronousQuorum());
        p.add("patroni_quorum_standby", "Value is 1 if this node is a quorum standby replica, 0 otherwise.", patroni,
                isSyncStandby(cluster) && cluster.dynamic().synchronousQuorum());
        p.add("patroni_xlog_received_location", "Current location of the received Postgres transaction log, "
                + "0 if this node is not a replica.", patroni, pg.runningAsReplica() ? pg.receivedLsn() : 0);
        p.add("patroni_xlog_replayed_location", "Current location of the replayed Postgres transaction log, "
                + "0 if this node is not a replica.", patroni, pg.runningAsReplica() ? pg.replayedLsn() : 0);
        p.add("patroni_xlog_replayed_timestamp", "Current timestamp of the replayed Postgres transaction log, "
                + "0 if null.", patroni, pg.runningAsReplica() ? zeroIfNaN(replayedAt) : 0);
        p.add("patroni_xlog_paused", "Value is 1 if the Postgres xlog is paused, 0 otherwise.", patroni,
                pg.runningAsReplica() && pg.replayPaused());
        p.add("patroni_postgres_streaming", "Value is 1 if Postgres is streaming, 0 otherwise.", patroni,
                pg.runningAsReplica() && pg.streaming());
        p.add("patroni_postgres_in_archive_recovery", "Value is 1 if Postgres is replicating from archive, 0 otherwise.",
                patroni, pg.runningAsReplica() && !pg.streaming());
        p.add("patroni_postgres_server_version", "Version of Postgres (if running), 0 otherwise.", patroni,
                pg.running() ? pg.serverVersion() : 0);
        p.add("patroni_cluster_unlocked", "Value is 1 if the cluster is unlocked, 0 if locked.", patroni,
                cluster != null && !cluster.hasLeader());
        p.add("patroni_failsafe_mode_is_active", "Value is 1 if failsafe mode is active, 0 if inactive.", patroni,
                failsafeActive.getAsBoolean());
        p.add("patroni_postgres_timeline", "Postgres timeline of this node (if running), 0 otherwise.", patroni,
                pg.running() ? pg.timeline() : 0);
        p.add("patroni_dcs_last_seen", "Epoch timestamp when DCS was last contacted successfully by Patroni.", patroni,
                s.dcsLastSeenEpochSeconds());
        p.add("patroni_pending_restart", "Value is 1 if the node needs a restart, 0 otherwise.", patroni,
                s.pendingRestart());
        p.add("patroni_is_paused", "Value is 1 if auto failover is disabled, 0 otherwise.", patroni, s.paused());
        p.into(out);
    }

    private boolean isSyncStandby(ClusterView cluster) {
        return cluster != null && cluster.sync().standbys().contains(member);
    }

    private double replayTimestamp(String text) {
        Parsed p = replayTs.get();
        return java.util.Objects.equals(p.text(), text) ? p.value() : replayTs.updateAndGet(q -> Parsed.of(text)).value();
    }

    private double startTime(String text) {
        Parsed p = startTs.get();
        return java.util.Objects.equals(p.text(), text) ? p.value() : startTs.updateAndGet(q -> Parsed.of(text)).value();
    }

    /** A timestamp text and its epoch seconds: scrapes mostly see the same text again. */
    private record Parsed(String text, double value) {
        static final Parsed NONE = new Parsed(null, Double.NaN);

        static Parsed of(String text) {
            return new Parsed(text, PgTime.epochSeconds(text));
        }
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    static String sentence(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= MAX_SENTENCE ? s : s.substring(0, MAX_SENTENCE - 1) + "…";
    }

    /** Patroni's {@code patroni_version}: "3.0.2" is 30002 (two digits per part). "0.1.0-SNAPSHOT" is 100. */
    static double patroniVersion(String version) {
        String[] parts = version.split("[^0-9]+", -1);
        long v = 0;
        int used = 0;
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            if (used == 3) {
                break;
            }
            v = v * 100 + Math.min(99, Long.parseLong(part.length() > 2 ? part.substring(part.length() - 2) : part));
            used++;
        }
        while (used < 3) {
            v *= 100;
            used++;
        }
        return v;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "NodeStateCollector[%s/%s]", scope, member);
    }

    /** Reads whether failsafe mode keeps this primary running from {@code active}. */
    void watchFailsafe(java.util.function.BooleanSupplier active) {
        this.failsafeActive = java.util.Objects.requireNonNull(active, "active");
    }
}
