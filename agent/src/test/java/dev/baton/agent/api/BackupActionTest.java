package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.backup.BackupException;
import dev.baton.agent.backup.BackupInfo;
import dev.baton.agent.backup.BackupProgress;
import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupType;
import dev.baton.agent.backup.PgBackRestPeer;
import dev.baton.agent.backup.StandbyBackupsTest;
import dev.baton.leader.model.ClusterView;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.config.RestoreConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** POST /backup, GET /backup, GET /backups: status codes and bodies, hostile bodies included. */
class BackupActionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SECOND = 1_000_000_000L;
    private static final long NOW = 5_000 * SECOND;

    static final class Repo implements BackupRepository {
        RuntimeException listFails;
        final List<PgBackRestPeer> fromStandby = new java.util.ArrayList<>();

        @Override
        public BackupInfo backupFromStandby(BackupType type, PgBackRestPeer primary, BackupProgress progress) {
            fromStandby.add(primary);
            return info();
        }

        @Override
        public void ensureStanza() {
        }

        @Override
        public BackupInfo backup(BackupType type, BackupProgress progress) {
            progress.update(512, 2048);
            return info();
        }

        static BackupInfo info() {
            return new BackupInfo("20261201-120000F", BackupType.FULL, Instant.parse("2026-12-01T12:00:00Z"),
                    Instant.parse("2026-12-01T12:01:00Z"), "000000010000000000000003", "000000010000000000000004",
                    2048, 1024, "0/3000028", "0/4000100");
        }

        @Override
        public List<BackupInfo> list() {
            if (listFails != null) {
                throw listFails;
            }
            return List.of(info());
        }

        @Override
        public List<BackupInfo> list(String scope) {
            return list();
        }

        @Override
        public void restoreReplica(BackupProgress progress) {
        }

        @Override
        public void restoreCluster(RestoreConfig restore, BackupProgress progress) {
        }

        @Override
        public void clearRestoreSettings() {
        }
    }

    static final class Later implements Executor {
        final Deque<Runnable> pending = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable r) {
            pending.add(r);
        }

        synchronized void runAll() {
            while (!pending.isEmpty()) {
                pending.poll().run();
            }
        }
    }

    final Repo repo = new Repo();
    final Later later = new Later();
    final BackupRunner runner = new BackupRunner(repo, Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"),
            ZoneOffset.UTC), later);
    final AtomicReference<NodeState> state = new AtomicReference<>(leader());

    static NodeState leader() {
        return NodeStates.node("node1").pg(new PgStatus(true, false, 1, 100, 0, 0, null, false, false, null, 0,
                "2026-12-01T10:00:00+00:00", 150000, List.of())).lock("node1", NOW + 10 * SECOND).build();
    }

    static NodeState replica() {
        return NodeStates.node("node2").pg(new PgStatus(true, true, 1, 0, 100, 100, null, false, true, "10.0.0.1",
                5432, "2026-12-01T10:00:00+00:00", 150000, List.of())).lock("node1", 0).build();
    }

    BackupAction action(boolean unused) {
        return new BackupAction(runner, state::get, () -> NOW);
    }

    static JsonNode json(RestApi.Answer a) throws Exception {
        return JSON.readTree(a.body());
    }

    @Test
    void getBackupBeforeAnyRun() throws Exception {
        RestApi.Answer a = action(false).get("/backup");
        assertEquals(200, a.status());
        assertEquals("{\"id\":0,\"state\":\"none\",\"type\":null,\"started\":null,\"finished\":null,\"done_bytes\":0,"
                + "\"total_bytes\":0,\"label\":null,\"error\":null}", a.body());
    }

    @Test
    void postStartsAFullBackupByDefaultAndGetFollowsIt() throws Exception {
        BackupAction b = action(false);
        RestApi.Answer started = b.post("");
        assertEquals(202, started.status());
        assertEquals("{\"id\":1,\"state\":\"running\",\"type\":\"full\",\"started\":\"2026-12-01T12:00:00Z\","
                + "\"finished\":null,\"done_bytes\":0,\"total_bytes\":0,\"label\":null,\"error\":null}", started.body());
        later.runAll();
        assertEquals("{\"id\":1,\"state\":\"succeeded\",\"type\":\"full\",\"started\":\"2026-12-01T12:00:00Z\","
                + "\"finished\":\"2026-12-01T12:00:00Z\",\"done_bytes\":2048,\"total_bytes\":2048,"
                + "\"label\":\"20261201-120000F\",\"error\":null}", b.get("/backup").body());
    }

    @Test
    void aSecondPostWhileOneRunsIs409WithTheRunningOne() throws Exception {
        BackupAction b = action(false);
        assertEquals(202, b.post("{\"type\":\"diff\"}").status());
        RestApi.Answer again = b.post("{\"type\":\"incr\"}");
        assertEquals(409, again.status());
        assertEquals(1, json(again).get("id").asInt());
        assertEquals("diff", json(again).get("type").asText());
        assertEquals("running", json(again).get("state").asText());
    }

    @Test
    void aReplicaRefusesALeaderBackupAndWithoutBackupServerOneFromItself() throws Exception {
        state.set(replica());
        RestApi.Answer a = action(false).post("{\"type\":\"full\"}");
        assertEquals(503, a.status());
        assertTrue(json(a).get("error").asText().startsWith("not the leader"), a.body());
        RestApi.Answer r = action(false).post("{\"type\":\"full\",\"from_replica\":true}");
        assertEquals(501, r.status());
        assertEquals(BackupAction.FROM_REPLICA_NEEDS_SERVER, json(r).get("error").asText());
        assertEquals("none", runner.status().toJson().get("state"), "nothing was started");
    }

    static ClusterView clusterWithLeaderFacts(PgBackRestPeer leaderFacts) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("node1", StandbyBackupsTest.member("primary", "running", leaderFacts));
        m.put("node2", StandbyBackupsTest.member("replica", "running", StandbyBackupsTest.peer("node2", false)));
        return StandbyBackupsTest.view("node1", m);
    }

    @Test
    void aReplicaWithAServerTakesABackupFromItselfThroughTheLeadersServer() throws Exception {
        state.set(NodeStates.from(replica()).cluster(clusterWithLeaderFacts(StandbyBackupsTest.NODE1)).build());
        BackupAction withServer = new BackupAction(runner, state::get, () -> NOW, true);
        RestApi.Answer r = withServer.post("{\"type\":\"diff\",\"from_replica\":true}");
        assertEquals(202, r.status(), r.body());
        assertEquals("diff", json(r).get("type").asText());
        later.runAll();
        assertEquals(List.of(StandbyBackupsTest.NODE1), repo.fromStandby, "the leader's published server");
        assertEquals("succeeded", runner.status().toJson().get("state"));
    }

    @Test
    void aBackupFromAReplicaNeedsAReplicaAndALeaderThatPublishesItsServer() throws Exception {
        BackupAction withServer = new BackupAction(runner, state::get, () -> NOW, true);
        state.set(leader());
        RestApi.Answer onLeader = withServer.post("{\"from_replica\":true}");
        assertEquals(503, onLeader.status());
        assertTrue(json(onLeader).get("error").asText().startsWith("not a running replica"), onLeader.body());

        state.set(NodeStates.from(replica()).cluster(clusterWithLeaderFacts(null)).build());
        RestApi.Answer noFacts = withServer.post("{\"from_replica\":true}");
        assertEquals(503, noFacts.status());
        assertEquals("the leader (node1) publishes no pgBackRest server: its configuration needs backup.server",
                json(noFacts).get("error").asText());

        ClusterView hostile = clusterWithLeaderFacts(null);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("node1", StandbyBackupsTest.member("primary", "running", StandbyBackupsTest.NODE1)
                .replace("node1.example.com", "x --repo1-path=/tmp"));
        state.set(NodeStates.from(replica()).cluster(StandbyBackupsTest.view("node1", m)).build());
        RestApi.Answer bad = withServer.post("{\"from_replica\":true}");
        assertEquals(503, bad.status());
        assertTrue(json(bad).get("error").asText().contains("pgbackrest.host must be a DNS name"), bad.body());
        assertTrue(repo.fromStandby.isEmpty(), "nothing was started");
        assertTrue(hostile.hasLeader());
    }

    @Test
    void aStoppedMemberRefuses() {
        state.set(NodeStates.node("node3").build());
        assertEquals(503, action(true).post("{}").status());
    }

    @Test
    void getBackupsListsTheRepository() throws Exception {
        RestApi.Answer a = action(false).get("/backups");
        assertEquals(200, a.status());
        assertEquals("[{\"label\":\"20261201-120000F\",\"type\":\"full\",\"start\":\"2026-12-01T12:00:00Z\","
                + "\"stop\":\"2026-12-01T12:01:00Z\",\"wal_start\":\"000000010000000000000003\","
                + "\"wal_stop\":\"000000010000000000000004\",\"size_bytes\":2048,\"repo_size_bytes\":1024,"
                + "\"lsn_start\":\"0/3000028\",\"lsn_stop\":\"0/4000100\"}]", a.body());
    }

    @Test
    void getBackupsIs503WhenPgBackRestFails() throws Exception {
        repo.listFails = new BackupException("ERROR: [055]: unable to load info file\u001b[0m");
        RestApi.Answer a = action(false).get("/backups");
        assertEquals(503, a.status());
        String error = json(a).get("error").asText();
        assertTrue(error.contains("unable to load info file"), error);
        assertTrue(error.chars().noneMatch(c -> c < 0x20), error);
    }

    @Test
    void withoutARepositoryEverythingIs404() throws Exception {
        BackupAction none = BackupAction.none();
        for (RestApi.Answer a : List.of(none.post("{}"), none.get("/backup"), none.get("/backups"))) {
            assertEquals(404, a.status());
            assertEquals(BackupAction.NO_REPOSITORY, json(a).get("error").asText());
        }
        assertEquals(null, none.get("/backupz"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"weekly\"}", "{\"type\":3}", "{\"type\":[\"full\"]}", "{\"type\":{}}",
        "{\"type\":\"\u001b[31mfull\"}", "{\"from_replica\":\"yes\"}", "[\"full\"]", "\"full\"", "full", "{",
        "{\"type\":\"full\"", "\u0000", "{\"type\":\"" + "x" + "\"}"})
    void badBodiesAre400WithAClearMessage(String body) throws Exception {
        RestApi.Answer a = action(false).post(body);
        assertEquals(400, a.status(), body);
        String error = json(a).get("error").asText();
        assertTrue(error.chars().noneMatch(c -> c < 0x20 && c != '\n'), error);
        assertTrue(error.length() < 300, error);
        assertTrue(later.pending.isEmpty(), "nothing started");
    }

    @Test
    void anUnknownTypeNamesTheKnownOnes() throws Exception {
        assertEquals("type must be full, diff or incr; got \"weekly\"",
                json(action(false).post("{\"type\":\"weekly\"}")).get("error").asText());
    }

    @Test
    void typesAreReadInAnyCaseAndOtherFieldsIgnored() throws Exception {
        RestApi.Answer a = action(false).post("{\"type\":\" INCR \",\"comment\":\"nightly\"}");
        assertEquals(202, a.status());
        assertEquals("incr", json(a).get("type").asText());
    }

    @Test
    void overHttpThroughTheAgentsActions() throws Exception {
        try (RestApi server = new RestApi("127.0.0.1", 0, state::get, () -> NOW, "test-1.0", 10)) {
            BackupAction b = action(false);
            server.setBackups(b);
            server.setActions(new AgentActions(null, null, () -> NOW, DynamicConfig.defaults(), Duration.ofSeconds(1),
                    null, b));
            server.start();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/backup"))
                    .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"diff\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, post.statusCode(), post.body());
            assertEquals("diff", JSON.readTree(post.body()).get("type").asText());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/backup"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals("running", JSON.readTree(get.body()).get("state").asText());
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base + "/backups/"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, list.statusCode());
            assertTrue(JSON.readTree(list.body()).isArray());
            HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create(base + "/backup"))
                    .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"" + "x".repeat(1 << 20) + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(413, big.statusCode(), "the REST API's body limit applies");
        }
    }
}
