package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The REST API's status-code table, tested through the pure {@link RestApi#answer} (no HTTP), plus
 * one real HTTP round trip for the method handling (GET, HEAD, OPTIONS, POST).
 */
class RestApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SECOND = 1_000_000_000L;
    private static final long MB = 1L << 20;
    /** An arbitrary monotonic "now"; System.nanoTime() values have no meaning of their own. */
    private static final long NOW = 5_000 * SECOND;
    private static final int TTL = 10;
    private static final String SYSID = "7300000000000000001";

    private static final String[] PRIMARY_PATHS = {"/primary", "/master", "/read-write", "/", "/leader"};

    /** An API object whose server is never started: only answer() is used. */
    private static RestApi api;

    private static synchronized RestApi api() throws Exception {
        if (api == null) {
            api = new RestApi("127.0.0.1", 0, () -> null, () -> NOW, "test-1.0", TTL);
        }
        return api;
    }

    @AfterAll
    static synchronized void closeApi() {
        if (api != null) {
            api.close();
            api = null;
        }
    }

    // ---------------------------------------------------------------- fixtures

    static PgStatus primaryPg(long lsn) {
        return new PgStatus(true, false, 3, lsn, 0, 0, null, false, false, null, 0, "2024-05-01T10:00:00+00:00",
                160002, List.of(new PgStatus.Replica("node2", "10.0.0.2", "streaming", "async", lsn, lsn, lsn, 0.0)));
    }

    static PgStatus replicaPg(long received, long replayed, boolean streaming) {
        return new PgStatus(true, true, 3, 0, received, replayed, "2024-05-01T10:00:01+00:00", false, streaming,
                streaming ? "10.0.0.1" : null, streaming ? 5432 : 0, "2024-05-01T09:00:00+00:00", 160002, List.of());
    }

    static MemberStatus member(String name, String role, long lsn, Map<String, Object> tags) {
        return new MemberStatus(name, "postgres://10.0.0." + name.charAt(name.length() - 1) + ":5432/postgres",
                "http://10.0.0." + name.charAt(name.length() - 1) + ":8008/patroni", MemberState.RUNNING, Role.parse(role), lsn, 3, tags,
                "test-1.0", false, false, null);
    }

    static ClusterView view(String leader, long lastLeaderLsn, MemberStatus... members) {
        return view(DynamicConfig.defaults(), leader, lastLeaderLsn, members);
    }

    static ClusterView view(DynamicConfig dynamic, String leader, long lastLeaderLsn, MemberStatus... members) {
        Map<String, MemberStatus> m = new LinkedHashMap<>();
        for (MemberStatus s : members) {
            m.put(s.name(), s);
        }
        return new ClusterView(SYSID, leader, 42, m, dynamic, true, lastLeaderLsn, ClusterSnapshot.empty());
    }

    /** A node state builder with sane defaults: node1 of "demo", no lock, postgres stopped. */
    static final class S {
        String name = "node1";
        String role = "uninitialized";
        String state = "stopped";
        PgStatus pg = PgStatus.stopped();
        String lockHolder;
        long lockValidUntil;
        ClusterView cluster;
        long lastCycle = NOW - SECOND;
        boolean noloadbalance;
        Map<String, Object> tags = Map.of();

        S primary(long lsn) {
            role = "primary";
            state = "running";
            pg = primaryPg(lsn);
            return this;
        }

        S replica(long received, long replayed, boolean streaming) {
            role = "replica";
            state = "running";
            pg = replicaPg(received, replayed, streaming);
            return this;
        }

        S stopped() {
            state = "stopped";
            pg = PgStatus.stopped();
            return this;
        }

        /** This node holds the leader key, sure of it until {@code until}. */
        S lock(long until) {
            lockHolder = name;
            lockValidUntil = until;
            return this;
        }

        S leader(String other) {
            lockHolder = other;
            lockValidUntil = 0;
            return this;
        }

        S cluster(ClusterView c) {
            cluster = c;
            return this;
        }

        S lastCycle(long nanos) {
            lastCycle = nanos;
            return this;
        }

        S noloadbalance() {
            noloadbalance = true;
            return this;
        }

        NodeState build() {
            return NodeStates.node(name).role(Role.parse(role)).state(MemberState.parse(state)).pg(pg)
                    .lock(lockHolder, lockValidUntil).cluster(cluster).lastCycle(lastCycle).dcsSeen(1_714_557_600L)
                    .systemId(SYSID).noloadbalance(noloadbalance).tags(tags).build();
        }
    }

    static S node() {
        return new S();
    }

    /** A running primary holding the lock for ttl more seconds, in a 3-node cluster. */
    static S healthyPrimary() {
        return node().primary(100 * MB).lock(NOW + TTL * SECOND)
                .cluster(view("node1", 100 * MB, member("node1", "primary", 100 * MB, Map.of()),
                        member("node2", "replica", 99 * MB, Map.of()), member("node3", "replica", 0, Map.of())));
    }

    /** node2: a streaming replica of node1, {@code behind} bytes behind the leader's last published LSN. */
    static S streamingReplica(long behind, Map<String, Object> tags) {
        S s = node();
        s.name = "node2";
        s.tags = tags;
        return s.replica(100 * MB - behind, 100 * MB - behind, true).leader("node1")
                .cluster(view("node1", 100 * MB, member("node1", "primary", 100 * MB, Map.of()),
                        member("node2", "replica", 100 * MB - behind, tags)));
    }

    static int code(String path, S s) throws Exception {
        return code(path, Map.of(), s.build(), NOW);
    }

    static int code(String path, Map<String, String> query, S s) throws Exception {
        return code(path, query, s.build(), NOW);
    }

    static int code(String path, Map<String, String> query, NodeState s, long now) throws Exception {
        return api().answer(path, query, s, now).status();
    }

    static JsonNode body(String path, S s) throws Exception {
        return JSON.readTree(api().answer(path, Map.of(), s.build(), NOW).body());
    }

    // ---------------------------------------------------------------- primary endpoints

    @ParameterizedTest
    @ValueSource(strings = {"/primary", "/master", "/read-write", "/", "/leader"})
    void primaryEndpointsAre200ForTheLockHoldingRunningPrimary(String path) throws Exception {
        assertEquals(200, code(path, healthyPrimary()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/primary", "/master", "/read-write", "/", "/leader"})
    void primaryEndpointsFlipTo503TheMomentTheLeaseDeadlinePasses(String path) throws Exception {
        NodeState s = healthyPrimary().lock(NOW + SECOND).build();
        assertEquals(200, code(path, Map.of(), s, NOW));
        assertEquals(200, code(path, Map.of(), s, NOW + SECOND - 1), "one nanosecond before the deadline");
        assertEquals(503, code(path, Map.of(), s, NOW + SECOND), "at the deadline the node is no longer sure");
        assertEquals(503, code(path, Map.of(), s, NOW + SECOND + 1), "after the deadline");
        assertEquals(503, code(path, Map.of(), s, NOW + 60 * SECOND));
    }

    @Test
    void leaseDeadlineIsComparedWrapSafely() throws Exception {
        // System.nanoTime() may be near Long.MAX_VALUE: a deadline that has wrapped to negative is
        // still in the future, and one that has not been reached yet after wrapping is in the past.
        long now = Long.MAX_VALUE - 5;
        NodeState s = healthyPrimary().lock(now + 10).build(); // wraps to Long.MIN_VALUE + 4
        assertTrue(s.lockValidUntilNanos() < 0);
        assertEquals(200, code("/primary", Map.of(), s, now));
        assertEquals(503, code("/primary", Map.of(), s, now + 10));
    }

    @Test
    void primaryEndpointsAre503WithoutTheLock() throws Exception {
        // Postgres runs as a primary, but the node does not (or no longer) hold the leader key.
        for (String path : PRIMARY_PATHS) {
            assertEquals(503, code(path, healthyPrimary().leader("node2")), path);
            assertEquals(503, code(path, healthyPrimary().leader(null)), path);
        }
    }

    @Test
    void primaryEndpointsAre503ForAReplicaEvenWithTheLock() throws Exception {
        // The lock was just taken but the promotion has not happened yet: still read-only.
        S s = node().replica(100 * MB, 100 * MB, true).lock(NOW + TTL * SECOND);
        for (String path : PRIMARY_PATHS) {
            assertEquals(503, code(path, s), path);
        }
    }

    @Test
    void primaryEndpointsAre503WhenPostgresIsStopped() throws Exception {
        S s = healthyPrimary().stopped();
        for (String path : PRIMARY_PATHS) {
            assertEquals(503, code(path, s), path);
        }
        assertEquals(503, code("/primary", node()), "initial state");
        assertEquals(503, code("/primary", Map.of(), NodeState.initial("node1", "demo"), NOW));
    }

    @Test
    void standbyLeaderIsAlways503AndSyncEndpointsWithoutSynchronousMode() throws Exception {
        for (String path : List.of("/standby-leader", "/standby_leader", "/sync", "/synchronous")) {
            assertEquals(503, code(path, healthyPrimary()), path);
            assertEquals(503, code(path, streamingReplica(0, Map.of())), path);
        }
        assertEquals(200, code("/read-only-sync", healthyPrimary()), "the primary is always in read-only-sync");
        assertEquals(503, code("/read-only-sync", streamingReplica(0, Map.of())));
        assertEquals(200, code("/async", streamingReplica(0, Map.of())));
    }

    /** node2 streaming from node1 in synchronous mode, with this {@code sync} key. */
    static S syncModeReplica(String syncJson) {
        DynamicConfig d = DynamicConfig.defaults();
        DynamicConfig sync = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), false, true);
        Map<String, MemberStatus> m = new LinkedHashMap<>();
        m.put("node1", member("node1", "primary", 100 * MB, Map.of()));
        m.put("node2", member("node2", "replica", 100 * MB, Map.of()));
        ClusterSnapshot snap = new ClusterSnapshot(1, null, null, null, Map.of(), null,
                new dev.baton.leader.VersionedValue(syncJson, 3, 3, 0), null, null);
        S s = node();
        s.name = "node2";
        return s.replica(100 * MB, 100 * MB, true).leader("node1")
                .cluster(new ClusterView(SYSID, "node1", 42, m, sync, true, 100 * MB, snap));
    }

    @Test
    void syncEndpointsFollowTheSyncKeyInSynchronousMode() throws Exception {
        S sync = syncModeReplica("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}");
        for (String path : List.of("/sync", "/synchronous", "/read-only-sync")) {
            assertEquals(200, code(path, sync), path);
        }
        assertEquals(503, code("/async", sync));
        assertTrue(body("/patroni", sync).path("sync_standby").asBoolean());
        assertTrue(RestApi.cluster(sync.build()).contains("\"role\":\"sync_standby\""));

        S async = syncModeReplica("{\"leader\":\"node1\",\"sync_standby\":\"node3\"}");
        assertEquals(503, code("/sync", async));
        assertEquals(200, code("/async", async));
        // A key written by an earlier leader says nothing about the current one.
        S stale = syncModeReplica("{\"leader\":\"node0\",\"sync_standby\":\"node2\"}");
        assertEquals(503, code("/sync", stale));
    }

    /** node2 streaming from node1 in quorum commit, with this {@code sync} key. */
    static S quorumModeReplica(String syncJson) {
        S s = syncModeReplica(syncJson);
        ClusterView v = s.build().cluster();
        return s.cluster(new ClusterView(SYSID, "node1", 42, v.members(), v.dynamic().withQuorum(true), true, 100 * MB,
                v.snapshot()));
    }

    @Test
    void quorumEndpointsFollowTheVotersInQuorumCommit() throws Exception {
        S voter = quorumModeReplica("{\"leader\":\"node1\",\"sync_standby\":\"node2,node3\",\"quorum\":1}");
        for (String path : List.of("/quorum", "/read-only-quorum")) {
            assertEquals(200, code(path, voter), path);
        }
        for (String path : List.of("/sync", "/synchronous", "/read-only-sync", "/async")) {
            assertEquals(503, code(path, voter), path + ": a quorum standby is neither synchronous nor asynchronous");
        }
        assertTrue(body("/patroni", voter).path("quorum_standby").asBoolean());
        assertTrue(body("/patroni", voter).path("sync_standby").isMissingNode());
        assertTrue(RestApi.cluster(voter.build()).contains("\"role\":\"quorum_standby\""));
        S other = quorumModeReplica("{\"leader\":\"node1\",\"sync_standby\":\"node3\",\"quorum\":0}");
        assertEquals(503, code("/quorum", other));
        assertEquals(503, code("/read-only-quorum", other));
        assertEquals(200, code("/async", other));
        assertEquals(200, code("/read-only-quorum", healthyPrimary()), "the primary is always in read-only-quorum");
        // Plain synchronous mode: a listed standby is no quorum standby.
        assertEquals(503, code("/quorum", syncModeReplica("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}")));
    }

    // ---------------------------------------------------------------- /replica

    @Test
    void replicaIs200ForARunningStreamingReplica() throws Exception {
        assertEquals(200, code("/replica", streamingReplica(0, Map.of())));
        assertEquals(200, code("/async", streamingReplica(0, Map.of())));
        assertEquals(503, code("/primary", streamingReplica(0, Map.of())));
    }

    @Test
    void replicaIs503ForAPrimary() throws Exception {
        assertEquals(503, code("/replica", healthyPrimary()));
        assertEquals(503, code("/replica", healthyPrimary().leader(null)), "a primary without the lock is no replica");
    }

    @Test
    void replicaInArchiveRecoveryIs200OnlyWhenAskedForByItsReplicationState() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.replica(100 * MB, 100 * MB, false); // restoring from the archive, no WAL receiver
        assertEquals(503, code("/replica", s), "Baton, unlike Patroni, requires streaming unless told otherwise: "
                + "a load balancer never reads from a replica that lost its primary");
        assertEquals(503, code("/replica", Map.of("replication_state", "streaming"), s));
        assertEquals(200, code("/replica", Map.of("replication_state", "in archive recovery"), s));
        assertEquals(200, code("/replica", Map.of("replication_state", "streaming"), streamingReplica(0, Map.of())));
        assertEquals(503, code("/replica", Map.of("replication_state", "in archive recovery"),
                streamingReplica(0, Map.of())));
        assertEquals(503, code("/replica", Map.of("replication_state", "STREAMING"), streamingReplica(0, Map.of())),
                "compared exactly, as Patroni does");
        assertEquals(503, code("/replica", Map.of("replication_state", ""), s), "empty: not asked (parse_qs drops it)");
    }

    @Test
    void replicaIs503WhileTheMemberStateIsNotRunning() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.state = "starting"; // postgres answers, but a start or restart is still in progress
        assertEquals(503, code("/replica", s));
        assertEquals(503, code("/health", s));
    }

    @Test
    void replicaIs503WithNoloadbalance() throws Exception {
        assertEquals(503, code("/replica", streamingReplica(0, Map.of()).noloadbalance()));
    }

    @Test
    void replicaIs503WhenStopped() throws Exception {
        assertEquals(503, code("/replica", streamingReplica(0, Map.of()).stopped()));
    }

    @Test
    void replicaHonoursTheLagParameter() throws Exception {
        assertEquals(200, code("/replica", Map.of("lag", "10MB"), streamingReplica(5 * MB, Map.of())));
        assertEquals(200, code("/replica", Map.of("lag", "10MB"), streamingReplica(10 * MB, Map.of())),
                "exactly at the limit");
        assertEquals(503, code("/replica", Map.of("lag", "10MB"), streamingReplica(10 * MB + 1, Map.of())));
        assertEquals(503, code("/replica", Map.of("lag", "10MB"), streamingReplica(20 * MB, Map.of())));
        // Plain bytes and other units.
        assertEquals(200, code("/replica", Map.of("lag", "1048576"), streamingReplica(MB, Map.of())));
        assertEquals(503, code("/replica", Map.of("lag", "1048575"), streamingReplica(MB, Map.of())));
        assertEquals(503, code("/replica", Map.of("lag", "512kB"), streamingReplica(MB, Map.of())));
        assertEquals(200, code("/replica", Map.of("lag", "1GB"), streamingReplica(MB, Map.of())));
        // Without ?lag the lag does not matter.
        assertEquals(200, code("/replica", streamingReplica(500 * MB, Map.of())));
    }

    @Test
    void replicaLagUsesTheReplayedPositionAsPatroniDoes() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.replica(100 * MB - MB, 100 * MB - 50 * MB, true); // received 1 MB behind, replay 50 MB behind
        assertEquals(503, code("/replica", Map.of("lag", "2MB"), s));
        assertEquals(200, code("/replica", Map.of("lag", "50MB"), s));
    }

    @Test
    void replicaLagIsIgnoredWhileTheLeaderPositionIsUnknown() throws Exception {
        S s = streamingReplica(50 * MB, Map.of());
        s.cluster(view("node1", 0, member("node1", "primary", 0, Map.of())));
        assertEquals(200, code("/replica", Map.of("lag", "1MB"), s));
        s.cluster(null);
        assertEquals(200, code("/replica", Map.of("lag", "1MB"), s));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "10XB", "10mb", "", " ", "1 0", "0x", "\u0000", "\r\nX-Evil: 1", "<script>",
            "99999999999999999999", "9999999999999TB", "1e999999"})
    void replicaWithALagThatIsNoSmallSizeIgnoresTheLag(String lag) throws Exception {
        // Patroni's parse_int gives None (or a huge number) and the check passes: no 400, no 500.
        RestApi.Answer a = api().answer("/replica", Map.of("lag", lag), streamingReplica(500 * MB, Map.of()).build(), NOW);
        assertEquals(200, a.status());
        assertFalse(a.body().contains(lag.isBlank() ? "\u0000" : lag), "the parameter is not echoed");
    }

    @Test
    void replicaWithANegativeLagIsLaggingUnlessTheLeaderPositionIsUnknown() throws Exception {
        assertEquals(503, code("/replica", Map.of("lag", "-5"), streamingReplica(0, Map.of())));
        S unknown = streamingReplica(0, Map.of());
        unknown.cluster(null);
        assertEquals(200, code("/replica", Map.of("lag", "-5"), unknown));
    }

    @Test
    void replicaHonoursTagFilters() throws Exception {
        Map<String, Object> tags = Map.of("dc", "eu-west-1a", "reporting", true, "nofailover", false);
        assertEquals(200, code("/replica", Map.of("tag_dc", "eu-west-1a"), streamingReplica(0, tags)));
        assertEquals(503, code("/replica", Map.of("tag_dc", "EU-WEST-1A"), streamingReplica(0, tags)),
                "a text tag is compared exactly");
        assertEquals(200, code("/replica", Map.of("tag_dc", ""), streamingReplica(0, tags)), "empty: not asked");
        assertEquals(503, code("/replica", Map.of("tag_dc", "us-east-1a"), streamingReplica(0, tags)));
        assertEquals(503, code("/replica", Map.of("tag_rack", "r1"), streamingReplica(0, tags)), "absent tag");
        assertEquals(200, code("/replica", Map.of("tag_reporting", "true"), streamingReplica(0, tags)));
        assertEquals(503, code("/replica", Map.of("tag_reporting", "false"), streamingReplica(0, tags)));
        assertEquals(503, code("/replica", Map.of("tag_reporting", "True"), streamingReplica(0, tags)),
                "a boolean tag is compared as lower-case text");
        assertEquals(200, code("/replica", Map.of("tag_nofailover", "false"), streamingReplica(0, tags)));
        assertEquals(200, code("/replica", Map.of("tag_dc", "eu-west-1a", "tag_reporting", "true"),
                streamingReplica(0, tags)));
        assertEquals(503, code("/replica", Map.of("tag_dc", "eu-west-1a", "tag_reporting", "false"),
                streamingReplica(0, tags)), "every tag must match");
        // Tags and lag together.
        assertEquals(200, code("/replica", Map.of("tag_dc", "eu-west-1a", "lag", "1MB"), streamingReplica(MB, tags)));
        assertEquals(503, code("/replica", Map.of("tag_dc", "eu-west-1a", "lag", "1MB"),
                streamingReplica(2 * MB, tags)));
        // The configured tags count, also without a cluster view.
        assertEquals(200, code("/replica", Map.of("tag_dc", "eu-west-1a"), streamingReplica(0, tags).cluster(null)));
        // Every path but the leader ones checks them.
        S primary = healthyPrimary();
        primary.tags = tags;
        assertEquals(200, code("/primary", Map.of("tag_dc", "elsewhere"), primary));
        assertEquals(503, code("/read-only", Map.of("tag_dc", "elsewhere"), primary));
        assertEquals(200, code("/read-only", Map.of("tag_dc", "eu-west-1a"), primary));
        assertEquals(503, code("/health", Map.of("tag_dc", "elsewhere"), primary));
    }

    // ---------------------------------------------------------------- other health endpoints

    @Test
    void readOnlyIs200ForTheLockHoldingPrimaryAndForStreamingReplicas() throws Exception {
        assertEquals(200, code("/read-only", healthyPrimary()));
        assertEquals(200, code("/read-only", streamingReplica(0, Map.of())));
        assertEquals(503, code("/read-only", healthyPrimary().lock(NOW)), "lease expired");
        assertEquals(503, code("/read-only", healthyPrimary().stopped()));
        assertEquals(503, code("/read-only", streamingReplica(0, Map.of()).stopped()));
        assertEquals(503, code("/read-only", Map.of("lag", "1MB"), streamingReplica(2 * MB, Map.of())));
    }

    @Test
    void healthIs200IffPostgresRuns() throws Exception {
        assertEquals(200, code("/health", healthyPrimary()));
        assertEquals(200, code("/health", healthyPrimary().leader(null)), "no lock needed");
        assertEquals(200, code("/health", streamingReplica(0, Map.of())));
        assertEquals(200, code("/health", streamingReplica(0, Map.of()).noloadbalance()));
        assertEquals(503, code("/health", healthyPrimary().stopped()));
        assertEquals(503, code("/health", node()));
    }

    @Test
    void livenessFollowsTheHaLoop() throws Exception {
        assertEquals(200, code("/liveness", node().lastCycle(0)), "no cycle has run yet");
        assertEquals(200, code("/liveness", healthyPrimary()));
        assertEquals(200, code("/liveness", streamingReplica(0, Map.of())));
        assertEquals(200, code("/liveness", node()), "postgres being down does not make the agent dead");
        // A primary's loop must have run within ttl, a replica's within 2*ttl.
        assertEquals(200, code("/liveness", healthyPrimary().lastCycle(NOW - TTL * SECOND)));
        assertEquals(503, code("/liveness", healthyPrimary().lastCycle(NOW - TTL * SECOND - 1)));
        assertEquals(200, code("/liveness", streamingReplica(0, Map.of()).lastCycle(NOW - 15 * SECOND)));
        assertEquals(503, code("/liveness", streamingReplica(0, Map.of()).lastCycle(NOW - 25 * SECOND)));
        assertEquals("", api().answer("/liveness", Map.of(), healthyPrimary().build(), NOW).body(),
                "the status line only, as Patroni");
        DynamicConfig d = DynamicConfig.defaults();
        DynamicConfig paused = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), true, d.synchronousMode());
        assertEquals(200, code("/liveness", healthyPrimary().cluster(view(paused, "node1", 0))
                .lastCycle(NOW - 100 * SECOND)), "in maintenance mode a stuck loop is fine (Patroni)");
    }

    @Test
    void livenessUsesTheTtlOfTheConfigKey() throws Exception {
        DynamicConfig longer = DynamicConfig.defaults().withTiming(new dev.baton.config.Timing(60, 10, 10));
        assertEquals(200, code("/liveness", healthyPrimary().cluster(view(longer, "me", 0)).lastCycle(NOW - 30 * SECOND)),
                "ttl 60 in etcd, not the file's " + TTL);
    }

    @Test
    void readinessIs200ForTheLeaderOrAStreamingReplicaWithinTheLag() throws Exception {
        assertEquals(200, code("/readiness", healthyPrimary()));
        assertEquals(503, code("/readiness", healthyPrimary().lock(NOW - 1)));
        assertEquals(200, code("/readiness", streamingReplica(0, Map.of())));
        assertEquals(200, code("/readiness", streamingReplica(MB, Map.of()).noloadbalance()),
                "maximum_lag_on_failover (1 MB) by default");
        assertEquals(503, code("/readiness", streamingReplica(MB + 1, Map.of())));
        assertEquals(200, code("/readiness", Map.of("lag", "600MB"), streamingReplica(500 * MB, Map.of())));
        assertEquals(503, code("/readiness", Map.of("lag", "100MB"), streamingReplica(500 * MB, Map.of())));
        assertEquals(503, code("/readiness", Map.of("lag", "bogus"), streamingReplica(500 * MB, Map.of())),
                "a lag that is no size: maximum_lag_on_failover");
        S archive = streamingReplica(0, Map.of());
        archive.replica(100 * MB, 100 * MB, false);
        assertEquals(503, code("/readiness", archive), "not streaming");
        assertEquals(503, code("/readiness", streamingReplica(0, Map.of()).cluster(null)), "etcd not read");
        assertEquals(503, code("/readiness", node()));
        assertEquals("", api().answer("/readiness", Map.of(), healthyPrimary().build(), NOW).body());
    }

    @Test
    void readinessModeWriteComparesTheReceivedPosition() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.replica(100 * MB, 50 * MB, true); // everything received, replay 50 MB behind
        assertEquals(503, code("/readiness", s));
        assertEquals(200, code("/readiness", Map.of("mode", "write"), s));
        assertEquals(503, code("/readiness", Map.of("mode", "apply"), s));
    }

    @Test
    void unknownPathIs404() throws Exception {
        RestApi.Answer a = api().answer("/nope", Map.of(), healthyPrimary().build(), NOW);
        assertEquals(404, a.status());
        assertTrue(JSON.readTree(a.body()).path("error").asText().contains("/nope"));
        assertEquals(404, code("/primaryx", healthyPrimary()));
        assertEquals(404, code("/PRIMARY", healthyPrimary()));
    }

    // ---------------------------------------------------------------- /patroni

    @Test
    void patroniDescribesARunningPrimary() throws Exception {
        JsonNode n = body("/patroni", healthyPrimary());
        assertEquals("running", n.path("state").asText());
        assertEquals("primary", n.path("role").asText());
        assertEquals(100 * MB, n.path("xlog").path("location").asLong());
        assertEquals(3, n.path("timeline").asInt());
        assertEquals(160002, n.path("server_version").asInt());
        assertEquals("2024-05-01T10:00:00+00:00", n.path("postmaster_start_time").asText());
        assertEquals("demo", n.path("patroni").path("scope").asText());
        assertEquals("node1", n.path("patroni").path("name").asText());
        assertEquals("test-1.0", n.path("patroni").path("version").asText());
        assertFalse(n.has("cluster_unlocked"), "only when true, as Patroni");
        assertEquals(SYSID, n.path("database_system_identifier").asText());
        assertEquals("node2", n.path("replication").get(0).path("application_name").asText());
        assertEquals("streaming", n.path("replication").get(0).path("state").asText());
        assertTrue(n.path("baton").path("holds_lock").asBoolean());
        assertEquals("node1", n.path("baton").path("leader").asText());
        assertFalse(n.has("pause"));
        assertEquals(n, body("/status", healthyPrimary()), "/status is an alias");
    }

    @Test
    void patroniDescribesAReplica() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.replica(90 * MB, 80 * MB, true);
        RestApi.Answer a = api().answer("/patroni", Map.of(), s.build(), NOW);
        assertEquals(200, a.status());
        JsonNode n = JSON.readTree(a.body());
        assertEquals("replica", n.path("role").asText());
        assertEquals("running", n.path("state").asText());
        assertEquals(90 * MB, n.path("xlog").path("received_location").asLong());
        assertEquals(80 * MB, n.path("xlog").path("replayed_location").asLong());
        assertFalse(n.path("xlog").path("paused").asBoolean(true));
        assertFalse(n.path("xlog").has("location"));
        assertEquals("streaming", n.path("replication_state").asText());
        assertEquals("node2", n.path("patroni").path("name").asText());
        assertFalse(n.path("baton").path("holds_lock").asBoolean(true));
    }

    @Test
    void patroniIs200EvenWhenEverythingIsDown() throws Exception {
        RestApi.Answer a = api().answer("/patroni", Map.of(), NodeState.initial("node3", "demo"), NOW);
        assertEquals(200, a.status());
        JsonNode n = JSON.readTree(a.body());
        assertEquals("starting", n.path("state").asText());
        assertEquals("uninitialized", n.path("role").asText());
        assertTrue(n.path("cluster_unlocked").asBoolean());
        assertFalse(n.has("timeline"));
        assertEquals("node3", n.path("patroni").path("name").asText());
        assertEquals("demo", n.path("patroni").path("scope").asText());
        // A primary whose lease ran out still reports itself, with holds_lock false.
        JsonNode expired = JSON.readTree(api().answer("/patroni", Map.of(),
                healthyPrimary().lock(NOW).build(), NOW).body());
        assertFalse(expired.path("baton").path("holds_lock").asBoolean(true));
    }

    @Test
    void patroniReportsPause() throws Exception {
        DynamicConfig d = DynamicConfig.defaults();
        DynamicConfig paused = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), true, d.synchronousMode());
        S s = healthyPrimary().cluster(view(paused, "node1", 0, member("node1", "primary", 0, Map.of())));
        assertTrue(body("/patroni", s).path("pause").asBoolean());
        assertTrue(body("/cluster", s).path("pause").asBoolean());
    }

    @Test
    void patroniHasPatronisFieldsWithPatronisTypes() throws Exception {
        S s = healthyPrimary();
        s.tags = Map.of("dc", "eu", "nofailover", false);
        s.pg = new PgStatus(true, false, 3, 100 * MB, 0, 0, null, false, false, null, 0, "2025-06-01 12:00:01.12+00",
                160002, List.of(new PgStatus.Replica("node2", "10.0.0.2", "streaming", "sync", 1, 1, 1, 0.0,
                "replicator", 1), new PgStatus.Replica("pg_basebackup", null, "backup", "async", 0, 0, 0, null)), true);
        JsonNode n = body("/patroni", s);
        assertEquals(List.of("state", "postmaster_start_time", "role", "server_version", "xlog", "timeline",
                "replication", "dcs_last_seen", "tags", "database_system_identifier", "pending_restart", "patroni",
                "baton"), fields(n), "Patroni's order; the place for scheduled_restart is after patroni");
        assertEquals("2025-06-01 12:00:01.120000+00:00", n.path("postmaster_start_time").asText(),
                "as Python prints the datetime");
        JsonNode r = n.path("replication").get(0);
        assertEquals(List.of("usename", "application_name", "client_addr", "state", "sync_state", "sync_priority"),
                fields(r));
        assertEquals("replicator", r.path("usename").asText());
        assertEquals(1, r.path("sync_priority").asInt());
        assertTrue(n.path("replication").get(1).path("client_addr").isNull());
        assertTrue(n.path("dcs_last_seen").isIntegralNumber());
        assertEquals("eu", n.path("tags").path("dc").asText());
        assertTrue(n.path("pending_restart").asBoolean());
        assertTrue(n.path("xlog").path("location").isIntegralNumber());
        assertFalse(n.has("replication_state"), "a primary has none");
    }

    @Test
    void patroniOfAReplicaShowsItsPositionsAndReplicationState() throws Exception {
        S s = streamingReplica(0, Map.of());
        s.replica(0, 80 * MB, false); // nothing received yet: Patroni shows the replayed position
        JsonNode n = body("/patroni", s);
        assertEquals(80 * MB, n.path("xlog").path("received_location").asLong());
        assertEquals("in archive recovery", n.path("replication_state").asText());
        assertEquals("2024-05-01T10:00:01+00:00", n.path("xlog").path("replayed_timestamp").asText());
        assertFalse(n.has("replication"));
        assertFalse(n.has("cluster_unlocked"));
        assertFalse(n.has("tags"), "none configured");
    }

    @Test
    void patroniOfAStoppedNodeHasStateAndRoleOnly() throws Exception {
        JsonNode n = body("/patroni", healthyPrimary().stopped().leader(null));
        assertEquals(List.of("state", "role", "cluster_unlocked", "dcs_last_seen", "database_system_identifier",
                "patroni", "baton"), fields(n));
        assertEquals("stopped", n.path("state").asText());
        assertTrue(n.path("cluster_unlocked").asBoolean());
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ---------------------------------------------------------------- /cluster

    @Test
    void clusterHasPatronisMemberFieldsAndTheScheduledSwitchover() throws Exception {
        MemberStatus pending = new MemberStatus("node2", "postgres://10.0.0.2:5432/postgres", null, MemberState.RUNNING,
                Role.REPLICA, 99 * MB, 3, Map.of(), "test-1.0", true, false, null);
        ClusterSnapshot snap = new ClusterSnapshot(1, null, null, null, Map.of(),
                new dev.baton.leader.VersionedValue("{\"leader\":\"node1\",\"member\":\"node2\","
                        + "\"scheduled_at\":\"2026-01-01T10:00:00+00:00\"}", 1, 1, 0), null,
                new dev.baton.leader.VersionedValue("[[1,25165984,\"no recovery target specified\","
                        + "\"2026-01-01T09:00:00+00:00\",\"node1\"],[2,33554592,\"old\",\"t\"]]", 1, 1, 0), null);
        Map<String, MemberStatus> members = new LinkedHashMap<>();
        members.put("node1", member("node1", "primary", 100 * MB, Map.of()));
        members.put("node2", pending);
        ClusterView c = new ClusterView(SYSID, "node1", 42, members, DynamicConfig.defaults(), true, 100 * MB, snap);
        S s = healthyPrimary().cluster(c);
        JsonNode n = body("/cluster", s);
        JsonNode node2 = n.path("members").get(1);
        assertEquals(List.of("name", "role", "state", "api_url", "host", "port", "timeline", "pending_restart", "lag"),
                fields(node2));
        assertTrue(node2.path("api_url").isNull(), "Patroni always has api_url");
        assertTrue(node2.path("port").isInt());
        assertEquals(MB, node2.path("lag").asLong());
        JsonNode sw = n.path("scheduled_switchover");
        assertEquals("2026-01-01T10:00:00+00:00", sw.path("at").asText());
        assertEquals("node1", sw.path("from").asText());
        assertEquals("node2", sw.path("to").asText());
        assertEquals(List.of("members", "scheduled_switchover", "scope"), fields(n));
        // /history: the lines as stored, a 4-element line of an old Patroni included.
        JsonNode h = JSON.readTree(api().answer("/history", Map.of(), s.build(), NOW).body());
        assertEquals(2, h.size());
        assertEquals(25165984L, h.get(0).get(1).asLong());
        assertEquals("node1", h.get(0).get(4).asText());
        assertEquals(4, h.get(1).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"a\":1}", "42", "", "null"})
    void historyThatIsNoListIsEmpty(String value) throws Exception {
        ClusterSnapshot snap = new ClusterSnapshot(1, null, null, null, Map.of(), null, null,
                new dev.baton.leader.VersionedValue(value, 1, 1, 0), null);
        ClusterView c = new ClusterView(SYSID, "node1", 42, Map.of(), DynamicConfig.defaults(), true, 0, snap);
        RestApi.Answer a = api().answer("/history", Map.of(), healthyPrimary().cluster(c).build(), NOW);
        assertEquals(200, a.status());
        assertEquals("[]", a.body());
    }

    @Test
    void clusterListsMembersWithRoleAndLag() throws Exception {
        RestApi.Answer a = api().answer("/cluster", Map.of(), healthyPrimary().build(), NOW);
        assertEquals(200, a.status());
        JsonNode n = JSON.readTree(a.body());
        assertEquals("demo", n.path("scope").asText());
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (JsonNode m : n.path("members")) {
            byName.put(m.path("name").asText(), m);
            order.add(m.path("name").asText());
        }
        assertEquals(List.of("node1", "node2", "node3"), order, "members sorted by name");
        JsonNode leader = byName.get("node1");
        assertEquals("leader", leader.path("role").asText());
        assertEquals("running", leader.path("state").asText());
        assertEquals("10.0.0.1", leader.path("host").asText());
        assertEquals(5432, leader.path("port").asInt());
        assertEquals("http://10.0.0.1:8008/patroni", leader.path("api_url").asText());
        assertEquals(3, leader.path("timeline").asInt());
        assertFalse(leader.has("lag"), "the leader has no lag");
        assertEquals("replica", byName.get("node2").path("role").asText());
        assertEquals(MB, byName.get("node2").path("lag").asLong());
        assertTrue(byName.get("node2").path("lag").isNumber());
        assertEquals("replica", byName.get("node3").path("role").asText());
        assertEquals("unknown", byName.get("node3").path("lag").asText(), "no position published");
    }

    @Test
    void clusterLagIsNeverNegativeAndTagsArePublished() throws Exception {
        S s = healthyPrimary().cluster(view("node1", 100 * MB, member("node1", "primary", 100 * MB, Map.of()),
                member("node2", "replica", 101 * MB, Map.of("nofailover", true))));
        JsonNode n = body("/cluster", s);
        JsonNode node2 = n.path("members").get(1);
        assertEquals("node2", node2.path("name").asText());
        assertEquals(0, node2.path("lag").asLong(-1));
        assertTrue(node2.path("tags").path("nofailover").asBoolean());
    }

    @Test
    void clusterWithoutAViewHasNoMembers() throws Exception {
        RestApi.Answer a = api().answer("/cluster", Map.of(), NodeState.initial("node1", "demo"), NOW);
        assertEquals(200, a.status());
        assertEquals(0, JSON.readTree(a.body()).path("members").size());
    }

    @Test
    void clusterWithoutALeaderHasOnlyReplicas() throws Exception {
        S s = streamingReplica(0, Map.of()).leader(null)
                .cluster(view(null, 0, member("node1", "replica", 5, Map.of()), member("node2", "replica", 5, Map.of())));
        for (JsonNode m : body("/cluster", s).path("members")) {
            assertEquals("replica", m.path("role").asText());
            assertEquals(0, m.path("lag").asLong(-1), "Patroni: no known leader position (0) is not behind");
        }
    }

    @Test
    void historyIsAnEmptyListWithoutTheKey() throws Exception {
        RestApi.Answer a = api().answer("/history", Map.of(), healthyPrimary().build(), NOW);
        assertEquals(200, a.status());
        assertEquals("[]", a.body());
    }

    // ---------------------------------------------------------------- real HTTP

    @Test
    void servesOverHttp() throws Exception {
        AtomicReference<NodeState> state = new AtomicReference<>(healthyPrimary().build());
        AtomicLong clock = new AtomicLong(NOW);
        try (RestApi server = new RestApi("127.0.0.1", 0, state::get, clock::get, "test-1.0", TTL)) {
            server.start();
            assertTrue(server.port() > 0);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + server.port();

            HttpResponse<String> get = http.send(request(base + "/primary", "GET"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals("application/json", get.headers().firstValue("Content-Type").orElse(""));
            JsonNode n = JSON.readTree(get.body());
            assertEquals("primary", n.path("role").asText());
            assertEquals("node1", n.path("patroni").path("name").asText());
            assertEquals("demo", n.path("patroni").path("scope").asText());

            // A trailing slash and a query string are accepted.
            assertEquals(200, http.send(request(base + "/primary/", "GET"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            assertEquals(503, http.send(request(base + "/replica?lag=10MB", "GET"),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            // /liveness and /readiness: the status line only (no body), as Patroni.
            HttpResponse<byte[]> liveness = http.send(request(base + "/liveness", "GET"),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, liveness.statusCode());
            assertEquals(0, liveness.body().length);

            HttpResponse<byte[]> head = http.send(request(base + "/primary", "HEAD"),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, head.statusCode());
            assertEquals(0, head.body().length);

            // HAProxy's default check is "OPTIONS /": status only, no body.
            HttpResponse<byte[]> options = http.send(request(base + "/", "OPTIONS"),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, options.statusCode());
            assertEquals(0, options.body().length);

            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/primary"))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            assertTrue(JSON.readTree(post.body()).has("error"));
            assertEquals("GET, HEAD, OPTIONS", post.headers().firstValue("Allow").orElse(""));

            assertEquals(404, http.send(request(base + "/nope", "GET"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());

            // Every request reads the latest state and clock: the lease running out flips /primary.
            clock.set(NOW + TTL * SECOND);
            assertEquals(503, http.send(request(base + "/primary", "GET"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            assertEquals(503, http.send(request(base + "/primary", "HEAD"), HttpResponse.BodyHandlers.ofByteArray())
                    .statusCode());
            assertEquals(503, http.send(request(base + "/", "OPTIONS"), HttpResponse.BodyHandlers.ofByteArray())
                    .statusCode());
            state.set(streamingReplica(0, Map.of()).build());
            assertEquals(200, http.send(request(base + "/replica", "GET"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());

            // A failing state supplier gives a 500, not a hung connection.
            state.set(null);
            HttpResponse<String> broken = http.send(request(base + "/primary", "GET"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(500, broken.statusCode());
            assertTrue(JSON.readTree(broken.body()).path("error").asText().startsWith("internal error"));
            HttpResponse<byte[]> brokenHead = http.send(request(base + "/primary", "HEAD"),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(500, brokenHead.statusCode());
            assertEquals(0, brokenHead.body().length);
        }
    }

    private static HttpRequest request(String url, String method) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
    }
}
