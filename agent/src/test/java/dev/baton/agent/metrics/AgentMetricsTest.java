package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** AgentMetrics from fabricated loop states: names, values, lag arithmetic, events, cost. */
class AgentMetricsTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final long WRITE = 0x5_0000_0000L + 0x3000;

    private final AtomicLong ticker = new AtomicLong(1_000 * SECOND);
    private final AtomicReference<NodeState> state = new AtomicReference<>();
    private final AgentMetrics metrics = new AgentMetrics("demo", "node1", "0.1.0-SNAPSHOT", ticker::get,
            Clock.fixed(NOW, ZoneOffset.UTC));

    AgentMetricsTest() {
        metrics.watch(state::get);
    }

    private Exposition scrape() {
        return Exposition.parse(metrics.scrape());
    }

    static ClusterView cluster(String leader, long optime, String failover, String sync) {
        Map<String, MemberKey> members = Map.of(
                "node1", new MemberKey("node1", "{\"role\":\"primary\",\"state\":\"running\"}", 7, 1),
                "node2", new MemberKey("node2", "{\"role\":\"replica\",\"state\":\"running\"}", 8, 1),
                "node3", new MemberKey("node3", "{\"role\":\"replica\",\"state\":\"running\"}", 9, 1));
        ClusterSnapshot s = new ClusterSnapshot(42, new VersionedValue("7412345678901234567", 1, 1, 0),
                new VersionedValue(DynamicConfig.defaults().toJson(), 1, 1, 0),
                leader == null ? null : new LeaderKey(leader, 7, 2, 2), members,
                failover == null ? null : new VersionedValue(failover, 3, 3, 0),
                sync == null ? null : new VersionedValue(sync, 4, 4, 0), null,
                optime == 0 ? null : new VersionedValue("{\"optime\":" + optime + "}", 5, 5, 0));
        return ClusterView.of(s, DynamicConfig.defaults());
    }

    private NodeState primary(List<PgStatus.Replica> rows, String sentence) {
        PgStatus pg = new PgStatus(true, false, 3, WRITE, 0, 0, null, false, false, null, 0,
                "2025-06-01 11:00:00.5+00", 150010, rows);
        return NodeStates.node("node1").role(Role.PRIMARY).pg(pg).lock("node1", ticker.get() + 5 * SECOND)
                .sentence(sentence).cluster(cluster("node1", WRITE - 100, null, null)).lastCycle(ticker.get() - SECOND / 2)
                .dcsSeen(NOW.getEpochSecond() - 1).systemId("7412345678901234567").build();
    }

    private NodeState replica(long received, long replayed, String replayTs, boolean paused, long optime) {
        PgStatus pg = new PgStatus(true, true, 3, 0, received, replayed, replayTs, paused, true, "127.0.0.1", 5432,
                "2025-06-01 11:00:00+00", 150010, List.of());
        return NodeStates.node("node1").role(Role.REPLICA).pg(pg).lock("node2", 0)
                .sentence("no action: I am a secondary and I follow node2").cluster(cluster("node2", optime, null, null))
                .lastCycle(ticker.get() - SECOND).dcsSeen(NOW.getEpochSecond()).systemId("7412345678901234567").build();
    }

    @Test
    void aPrimaryReportsItsRoleLeaseAndLagPerReplica() {
        state.set(primary(List.of(
                new PgStatus.Replica("node2", "127.0.0.1", "streaming", "async", WRITE, WRITE - 4096, WRITE - 10_000, 1.5),
                new PgStatus.Replica("node3", "127.0.0.1", "streaming", "sync", WRITE, WRITE, WRITE, null),
                new PgStatus.Replica("node4", "127.0.0.1", "catchup", "async", WRITE - 50, 0, 0, null)),
                "no action: I am the leader with the lock"));
        Exposition e = scrape();

        assertEquals(1, e.value("baton_role", "role", "primary", "scope", "demo", "member", "node1"));
        assertEquals(0, e.value("baton_role", "role", "replica"));
        assertEquals(0, e.value("baton_role", "role", "none"));
        assertEquals(1, e.value("baton_is_leader"));
        assertEquals(5.0, e.value("baton_lease_remaining_seconds"), 1e-9);
        assertEquals(1, e.value("baton_postgres_running"));
        assertEquals(3, e.value("baton_postgres_timeline"));
        assertEquals(WRITE, e.value("baton_wal_position_bytes"));
        assertTrue(e.find("baton_wal_replayed_bytes").isEmpty(), "no replica positions on a primary");

        assertEquals(10_000, e.value("baton_replication_lag_bytes", "replica", "node2"));
        assertEquals(4096, e.value("baton_replication_flush_lag_bytes", "replica", "node2"));
        assertEquals(1.5, e.value("baton_replication_lag_seconds", "replica", "node2"));
        assertEquals(0, e.value("baton_replication_sync", "replica", "node2"));
        assertEquals(0, e.value("baton_replication_lag_bytes", "replica", "node3"));
        assertEquals(0, e.value("baton_replication_lag_seconds", "replica", "node3"), "caught up: replay_lag is null");
        assertEquals(1, e.value("baton_replication_sync", "replica", "node3"));
        assertEquals(1, e.value("baton_replication_streaming", "replica", "node3"));
        assertTrue(e.find("baton_replication_lag_bytes", "replica", "node4").isEmpty(), "replay_lsn unknown: no lag");
        assertTrue(e.find("baton_replication_lag_seconds", "replica", "node4").isEmpty());
        assertEquals(0, e.value("baton_replication_streaming", "replica", "node4"));
        assertEquals(3, e.value("baton_replication_connected_replicas"));
        assertTrue(e.find("baton_replica_lag_bytes").isEmpty(), "the replica's own view is only on replicas");

        assertEquals(0.5, e.value("baton_last_cycle_age_seconds"), 1e-9);
        assertEquals(1, e.value("baton_last_cycle_info", "sentence", "no action: I am the leader with the lock"));
        assertEquals(1, e.value("baton_info", "version", "0.1.0-SNAPSHOT"));
        assertEquals(3, e.value("baton_cluster_members"));
        assertEquals(1, e.value("baton_cluster_has_leader"));
        assertEquals(1048576, e.value("baton_maximum_lag_on_failover_bytes"));
        assertEquals(NOW.getEpochSecond() - 1, e.value("baton_dcs_last_seen_timestamp_seconds"));

        // Patroni's names and labels.
        assertEquals(1, e.value("patroni_primary", "scope", "demo", "name", "node1"));
        assertEquals(0, e.value("patroni_replica"));
        assertEquals(WRITE, e.value("patroni_xlog_location"));
        assertEquals(0, e.value("patroni_xlog_replayed_location"));
        assertEquals(3, e.value("patroni_postgres_timeline"));
        assertEquals(150010, e.value("patroni_postgres_server_version"));
        assertEquals(NOW.getEpochSecond() - 3600 + 0.5, e.value("patroni_postmaster_start_time"), 1e-6);
        assertEquals(0, e.value("patroni_cluster_unlocked"));
        assertEquals(100, e.value("patroni_version"));
        assertEquals(NOW.getEpochSecond() - 1, e.value("patroni_dcs_last_seen"));
        assertFalse(e.all("patroni_primary").get(0).labels().containsKey("member"), "Patroni's label is name");
    }

    @Test
    void aReplicaMeasuresItsOwnLagAgainstTheLeadersPublishedPosition() {
        // Replay paused 12.5 s after the last replayed transaction, with received WAL waiting.
        state.set(replica(WRITE, WRITE - 8192, "2025-06-01 11:59:47.5+00", true, WRITE + 100));
        Exposition e = scrape();
        assertEquals(1, e.value("baton_role", "role", "replica"));
        assertEquals(0, e.value("baton_is_leader"));
        assertEquals(0, e.value("baton_lease_remaining_seconds"));
        assertEquals(8192 + 100, e.value("baton_replica_lag_bytes"));
        assertEquals(100, e.value("baton_replica_receive_lag_bytes"));
        assertEquals(12.5, e.value("baton_replica_lag_seconds"), 1e-6);
        assertEquals(1, e.value("baton_replica_replay_paused"));
        assertEquals(1, e.value("baton_replica_streaming"));
        assertEquals(WRITE, e.value("baton_wal_received_bytes"));
        assertEquals(WRITE - 8192, e.value("baton_wal_replayed_bytes"));
        assertEquals(WRITE, e.value("baton_wal_position_bytes"), "max(received, replayed)");
        assertTrue(e.all("baton_replication_lag_bytes").isEmpty());

        assertEquals(0, e.value("patroni_primary"));
        assertEquals(1, e.value("patroni_replica"));
        assertEquals(0, e.value("patroni_xlog_location"), "Patroni: 0 if this node is not the leader");
        assertEquals(WRITE, e.value("patroni_xlog_received_location"));
        assertEquals(WRITE - 8192, e.value("patroni_xlog_replayed_location"));
        assertEquals(NOW.getEpochSecond() - 12.5, e.value("patroni_xlog_replayed_timestamp"), 1e-6);
        assertEquals(1, e.value("patroni_xlog_paused"));
        assertEquals(1, e.value("patroni_postgres_streaming"));
        assertEquals(0, e.value("patroni_postgres_in_archive_recovery"));
    }

    @Test
    void aCaughtUpReplicaHasNoLagEvenWhenItsLastTransactionIsOld() {
        // All received WAL is replayed; the replica is ahead of the leader's last published position.
        state.set(replica(WRITE, WRITE, "2025-06-01 08:00:00+02", false, WRITE - 500));
        Exposition e = scrape();
        assertEquals(0, e.value("baton_replica_lag_seconds"));
        assertEquals(0, e.value("baton_replica_lag_bytes"), "ahead of status.optime counts as 0, not negative");
        assertEquals(0, e.value("baton_replica_receive_lag_bytes"));
        assertEquals(0, e.value("baton_replica_replay_paused"));
        assertEquals(NOW.getEpochSecond() - 6 * 3600, e.value("patroni_xlog_replayed_timestamp"), 1e-6,
                "an offset other than UTC is honoured");
    }

    @Test
    void aReplicaWithoutAPublishedLeaderPositionReportsNoByteLag() {
        state.set(replica(WRITE, WRITE, null, false, 0));
        Exposition e = scrape();
        assertTrue(e.find("baton_replica_lag_bytes").isEmpty());
        assertEquals(0, e.value("baton_replica_lag_seconds"));
        assertEquals(0, e.value("patroni_xlog_replayed_timestamp"), "Patroni: 0 if null");
    }

    @Test
    void aStoppedNodeHasRoleNoneAndNoPositions() {
        state.set(NodeStates.node("node1").role(Role.REPLICA).state(MemberState.STOPPED)
                .pg(new PgStatus(false, false, 0, 0, 0, 0, null, false, false, null, 0, null, 0, List.of(), true)).sentence("starting as a replica in progress")
                .cluster(cluster(null, 0, null, null)).lastCycle(ticker.get()).nofailover(true).build());
        Exposition e = scrape();
        assertEquals(1, e.value("baton_role", "role", "none"));
        assertEquals(0, e.value("baton_role", "role", "primary"));
        assertEquals(0, e.value("baton_postgres_running"));
        assertTrue(e.all("baton_wal_position_bytes").isEmpty());
        assertEquals(1, e.value("baton_pending_restart"));
        assertEquals(1, e.value("baton_nofailover"));
        assertEquals(0, e.value("baton_cluster_has_leader"));
        assertEquals(1, e.value("patroni_cluster_unlocked"));
        assertEquals(1, e.value("patroni_pending_restart"));
        assertEquals(0, e.value("patroni_postgres_running"));
        assertEquals(0, e.value("patroni_postmaster_start_time"));
        assertEquals(1, e.value("patroni_replica"), "Patroni reports the role of the data directory");
        assertTrue(e.find("baton_dcs_last_seen_timestamp_seconds").isEmpty(), "never read etcd yet");
    }

    @Test
    void beforeTheFirstCycleTheInitialStateIsServed() {
        AgentMetrics fresh = new AgentMetrics("demo", "node9", "1.2.3", ticker::get, Clock.systemUTC());
        Exposition e = Exposition.parse(fresh.scrape());
        assertEquals(1, e.value("baton_role", "role", "none", "member", "node9"));
        assertEquals(10203, e.value("patroni_version"));
        assertEquals(1, e.value("baton_last_cycle_info", "sentence", "starting up"));
    }

    @Test
    void syncStandbyAndPauseComeFromTheClusterKeys() {
        NodeState r = replica(WRITE, WRITE, null, false, WRITE);
        ClusterView paused = cluster("node2", WRITE, null, "{\"leader\":\"node2\",\"sync_standby\":\"node3,node1\"}");
        String pausedConfig = DynamicConfig.defaults().toJson().replaceFirst("\\{", "{\"pause\":true,");
        ClusterSnapshot s = paused.snapshot();
        ClusterSnapshot withPause = new ClusterSnapshot(s.revision(), s.initialize(),
                new VersionedValue(pausedConfig, 1, 9, 0), s.leader(), s.members(), s.failover(), s.sync(), s.history(),
                s.status());
        state.set(NodeStates.from(r).lock(r.lockHolder(), 0).cluster(ClusterView.of(withPause, DynamicConfig.defaults()))
                .build());
        Exposition e = scrape();
        assertEquals(1, e.value("patroni_sync_standby"));
        assertEquals(1, e.value("patroni_is_paused"));
        assertEquals(1, e.value("baton_paused"));
    }

    @Test
    void anInvalidConfigKeyIsAGauge() {
        NodeState r = replica(WRITE, WRITE, null, false, WRITE);
        state.set(r);
        assertEquals(0, scrape().value("baton_config_invalid"));
        ClusterSnapshot s = r.cluster().snapshot();
        ClusterSnapshot invalid = new ClusterSnapshot(s.revision(), s.initialize(),
                new VersionedValue("{\"synchronous_mode\":\"maybe\"}", 1, 9, 0), s.leader(), s.members(),
                s.failover(), s.sync(), s.history(), s.status());
        state.set(NodeStates.from(r).cluster(ClusterView.of(invalid, DynamicConfig.defaults())).build());
        assertEquals(1, scrape().value("baton_config_invalid"));
    }

    @Test
    void theLastDecisionIsOneSeriesReplacedAndBounded() {
        state.set(primary(List.of(), "no action: I am the leader with the lock"));
        metrics.cycleFinished(1_000_000, "no action: I am the leader with the lock");
        String longSentence = "cluster store not accessible for 3.2 s (" + "x".repeat(500) + "); no action as a replica";
        state.set(primary(List.of(), longSentence));
        metrics.cycleFinished(1_000_000, longSentence);
        Exposition e = scrape();
        List<Exposition.Sample> info = e.all("baton_last_cycle_info");
        assertEquals(1, info.size(), "one series: " + info);
        assertEquals(NodeStateCollector.MAX_SENTENCE, info.get(0).labels().get("sentence").length());
        assertEquals(1, e.value("baton_decision_changes_total"));
    }

    @Test
    void loopEventsAreCounted() {
        state.set(primary(List.of(), "no action: I am the leader with the lock"));
        Exposition before = scrape();
        for (String c : List.of("baton_promotions_total", "baton_failovers_total", "baton_switchovers_total",
                "baton_demotions_total", "baton_fencings_total")) {
            assertEquals(0, before.value(c, "scope", "demo", "member", "node1"), c + " exists from the start");
        }
        metrics.cycleFinished(3 * 1_000_000, "no action: I am the leader with the lock");
        metrics.cycleFinished(40 * 1_000_000, "no action: I am the leader with the lock");
        metrics.cycleFinished(2 * SECOND, "promoting self: I hold the leader key");
        metrics.roleChanged(Role.PRIMARY);                 // no failover key: an automatic failover
        metrics.roleChanged(Role.REPLICA);
        metrics.fenced();
        metrics.fencedBeforePromotion("fenced");
        metrics.started(Role.REPLICA);
        metrics.stopped(Role.PRIMARY);

        // A switchover: the candidate saw the failover key in its last cycles before promoting.
        NodeState p = primary(List.of(), "taking over as the requested candidate of a switchover or failover");
        state.set(NodeStates.from(p).cluster(cluster(null, WRITE, "{\"leader\":\"node2\",\"member\":\"node1\"}", null))
                .build());
        metrics.cycleFinished(1_000_000, p.lastSentence());
        ticker.addAndGet(2 * SECOND);
        metrics.roleChanged(Role.PRIMARY);

        Exposition e = scrape();
        assertEquals(2, e.value("baton_promotions_total"));
        assertEquals(1, e.value("baton_failovers_total"));
        assertEquals(1, e.value("baton_switchovers_total"));
        assertEquals(1, e.value("baton_demotions_total"));
        assertEquals(1, e.value("baton_fencings_total"));
        assertEquals(1, e.value("baton_fences_before_promotion_total", "outcome", "fenced"));
        assertEquals(1, e.value("baton_postgres_starts_total", "role", "replica"));
        assertEquals(1, e.value("baton_postgres_stops_total", "role", "primary"));

        assertEquals(4, e.value("baton_ha_cycle_duration_seconds_count"));
        assertEquals(2.0 + 0.043 + 0.001, e.value("baton_ha_cycle_duration_seconds_sum"), 1e-9);
        assertEquals(2, e.value("baton_ha_cycle_duration_seconds_bucket", "le", "0.005"));
        assertEquals(3, e.value("baton_ha_cycle_duration_seconds_bucket", "le", "0.05"));
        assertEquals(4, e.value("baton_ha_cycle_duration_seconds_bucket", "le", "2.5"));
        assertEquals(4, e.value("baton_ha_cycle_duration_seconds_bucket", "le", "+Inf"));
        assertEquals("histogram", e.types().get("baton_ha_cycle_duration_seconds"));
    }

    @Test
    void aStandbyLeaderIsReportedAsPatroniDoes() {
        PgStatus pg = new PgStatus(true, true, 3, 0, WRITE, WRITE, null, false, true, "10.0.0.9", 5432,
                "2025-06-01 11:00:00+00", 150010, List.of());
        state.set(NodeStates.node("node1").role(Role.STANDBY_LEADER).pg(pg).lock("node1", ticker.get() + 5 * SECOND)
                .sentence("no action: I am the standby leader with the lock").cluster(cluster("node1", WRITE, null, null))
                .lastCycle(ticker.get() - SECOND).dcsSeen(NOW.getEpochSecond()).systemId("7412345678901234567").build());
        Exposition e = scrape();
        assertEquals(1, e.value("patroni_standby_leader"));
        assertEquals(0, e.value("patroni_primary"));
        assertEquals(0, e.value("patroni_replica"));
    }

    @Test
    void exposedNamesAreExactlyTheDocumentedOnes() {
        state.set(primary(List.of(new PgStatus.Replica("node2", "127.0.0.1", "streaming", "async", WRITE, WRITE,
                WRITE - 1, 0.1)), "no action: I am the leader with the lock"));
        metrics.cycleFinished(1_000_000, "x");
        Set<String> families = new TreeSet<>();
        Exposition e = scrape();
        for (Exposition.Sample s : e.samples()) {
            families.add(s.name().replaceAll("_(bucket|count|sum)$", ""));
        }
        state.set(replica(WRITE, WRITE - 1, "2025-06-01 11:59:59+00", false, WRITE));
        for (Exposition.Sample s : scrape().samples()) {
            families.add(s.name().replaceAll("_(bucket|count|sum)$", ""));
        }
        Set<String> expected = new TreeSet<>(List.of(
                "baton_info", "baton_role", "baton_is_leader", "baton_failsafe_active", "baton_lease_remaining_seconds", "baton_postgres_running",
                "baton_postgres_timeline", "baton_wal_position_bytes", "baton_wal_received_bytes",
                "baton_wal_replayed_bytes", "baton_replication_lag_bytes", "baton_replication_flush_lag_bytes",
                "baton_replication_lag_seconds", "baton_replication_streaming", "baton_replication_sync",
                "baton_replication_connected_replicas", "baton_replica_lag_bytes", "baton_replica_receive_lag_bytes",
                "baton_replica_lag_seconds", "baton_replica_streaming", "baton_replica_replay_paused",
                "baton_last_cycle_age_seconds", "baton_last_cycle_info", "baton_pending_restart", "baton_paused",
                "baton_nofailover", "baton_dcs_last_seen_timestamp_seconds", "baton_cluster_members",
                "baton_cluster_has_leader", "baton_config_invalid", "baton_maximum_lag_on_failover_bytes",
                "baton_ha_cycle_duration_seconds", "baton_ha_cycle_duration_seconds_max",
                "baton_promotions_total", "baton_failovers_total", "baton_switchovers_total", "baton_demotions_total",
                "baton_fencings_total", "baton_decision_changes_total",
                "patroni_version", "patroni_postgres_running", "patroni_postmaster_start_time", "patroni_primary",
                "patroni_xlog_location", "patroni_standby_leader", "patroni_replica", "patroni_sync_standby",
                "patroni_quorum_standby", "patroni_xlog_received_location", "patroni_xlog_replayed_location",
                "patroni_xlog_replayed_timestamp", "patroni_xlog_paused", "patroni_postgres_streaming",
                "patroni_postgres_in_archive_recovery", "patroni_postgres_server_version", "patroni_cluster_unlocked",
                "patroni_failsafe_mode_is_active", "patroni_postgres_timeline", "patroni_dcs_last_seen",
                "patroni_pending_restart", "patroni_is_paused"));
        assertEquals(expected, families, "scrape:\n" + e.text());
        for (Exposition.Sample s : e.samples()) {
            String labelName = s.name().startsWith("patroni_") ? "name" : "member";
            assertEquals("node1", s.labels().get(labelName), s.name() + " is labelled " + labelName);
            assertEquals("demo", s.labels().get("scope"), s.name() + " is labelled scope");
        }
    }
}
