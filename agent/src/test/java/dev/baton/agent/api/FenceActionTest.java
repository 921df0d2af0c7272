package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.HttpPeerClient;
import dev.baton.agent.client.RestClientSettings;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.BasicAuth;
import dev.baton.config.DynamicConfig;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import dev.baton.leader.testing.InMemoryCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST /fence} through {@link AgentActions}, over a fake postgres and the loop's state as given. */
class FenceActionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong nanos = new AtomicLong(1_000 * SECOND);
    private final FakePostgres pg = new FakePostgres();
    private final AtomicReference<NodeState> state = new AtomicReference<>(
            NodeStates.node("node1").lock("node1", 0).build());

    /** A postgres whose stops work or not, as the test says; every stop is recorded. */
    static final class FakePostgres implements FenceAction.Postgres {
        volatile boolean running = true;
        volatile PgStatus status = primaryAt(0x3000000L);
        volatile boolean fastStops = true;
        volatile boolean immediateStops = true;
        volatile long checkpointLsn;
        volatile long walEnd;
        volatile CountDownLatch stopBlocks;
        final List<String> stops = new CopyOnWriteArrayList<>();

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public PgStatus status() {
            return running ? status : PgStatus.stopped();
        }

        @Override
        public void stop(StopMode mode, Duration timeout) {
            stops.add(mode + " " + timeout.toMillis());
            CountDownLatch block = stopBlocks;
            if (block != null) {
                try {
                    block.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (mode == StopMode.FAST ? fastStops : immediateStops) {
                running = false;
            } else {
                throw new PostgresException("pg_ctl stop -m " + mode + " failed: server does not shut down");
            }
        }

        @Override
        public long checkpointLsn() {
            return checkpointLsn;
        }

        @Override
        public long walEnd() {
            return walEnd;
        }
    }

    static PgStatus primaryAt(long writeLsn) {
        return new PgStatus(true, false, 2, writeLsn, 0, 0, null, false, false, null, 0, null, 150000, List.of());
    }

    static PgStatus replicaAt(long lsn) {
        return new PgStatus(true, true, 2, 0, lsn, lsn, null, false, true, "10.0.0.2", 5432, null, 150000, List.of());
    }

    private AgentActions actions() {
        return actions(new FenceAction("node1", pg, state::get, nanos::get));
    }

    private AgentActions actions(FenceAction fence) {
        InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);
        return new AgentActions(new NoOperator(), etcd.store("node1", 10), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30), fence);
    }

    private static RestApi.Answer fence(AgentActions a, String body) {
        return a.act("POST", "/fence", Map.of(), body);
    }

    private static JsonNode json(RestApi.Answer a) throws Exception {
        return JSON.readTree(a.body());
    }

    @Test
    void aRunningPrimaryIsStoppedFastWithThreeQuartersOfTheTimeout() throws Exception {
        pg.status = primaryAt(0x3000060L);
        pg.checkpointLsn = 0x3000028L;
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\",\"timeout\":8}");
        assertEquals(200, a.status(), a::toString);
        JsonNode n = json(a);
        assertTrue(n.get("fenced").asBoolean());
        assertEquals("stopped", n.get("state").asText());
        assertEquals("fast", n.get("mode").asText());
        assertEquals("0/3000060", n.get("lsn").asText(), "the write position read before, past the checkpoint");
        assertEquals(List.of("FAST 6000"), pg.stops);
        assertFalse(pg.running);
    }

    @Test
    void theShutdownCheckpointPastTheWritePositionIsTheLsn() throws Exception {
        pg.status = primaryAt(0x3000000L);
        pg.checkpointLsn = 0x3000098L;
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\"}");
        assertEquals(200, a.status(), a::toString);
        assertEquals("0/3000098", json(a).get("lsn").asText());
        assertEquals(List.of("FAST 7500"), pg.stops, "the default timeout is 10 s");
    }

    @Test
    void whenAFastStopFailsAnImmediateOneFollowsAndTheWalOnDiskCounts() throws Exception {
        pg.fastStops = false;
        pg.status = primaryAt(0x3000060L);
        pg.checkpointLsn = 0x2000028L;
        pg.walEnd = 0x30001A0L; // commits acknowledged after the position was read
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\",\"timeout\":4}");
        assertEquals(200, a.status(), a::toString);
        JsonNode n = json(a);
        assertEquals("immediate", n.get("mode").asText());
        assertEquals("0/30001A0", n.get("lsn").asText());
        assertEquals(2, pg.stops.size(), pg.stops::toString);
        assertEquals("FAST 3000", pg.stops.get(0));
        assertTrue(pg.stops.get(1).startsWith("IMMEDIATE "), pg.stops::toString);
        long immediateMillis = Long.parseLong(pg.stops.get(1).substring("IMMEDIATE ".length()));
        assertTrue(immediateMillis >= 1000 && immediateMillis <= 4000, pg.stops::toString);
    }

    @Test
    void aPostgresThatSurvivesBothStopsIsNotFenced() throws Exception {
        pg.fastStops = false;
        pg.immediateStops = false;
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\",\"timeout\":2}");
        assertEquals(503, a.status(), a::toString);
        assertFalse(json(a).get("fenced").asBoolean());
        assertTrue(json(a).get("error").asText().contains("still runs"), a::toString);
    }

    @Test
    void aPostmasterThatAnswersNoQueryIsStoppedAnyway() throws Exception {
        pg.status = PgStatus.stopped(); // alive, but no connection (full, stuck): it may be a primary
        pg.checkpointLsn = 0x5000028L;
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\"}");
        assertEquals(200, a.status(), a::toString);
        assertEquals("stopped", json(a).get("state").asText());
        assertEquals("0/5000028", json(a).get("lsn").asText());
    }

    @Test
    void postgresNotRunningIsAlreadyFenced() throws Exception {
        pg.running = false;
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\"}");
        assertEquals(200, a.status());
        assertEquals("{\"fenced\":true,\"state\":\"not running\"}", a.body());
        assertTrue(pg.stops.isEmpty());
    }

    @Test
    void aReplicaIsNotStopped() throws Exception {
        pg.status = replicaAt(0x3000000L);
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\"}");
        assertEquals(200, a.status());
        assertEquals("{\"fenced\":true,\"state\":\"not a primary\"}", a.body());
        assertTrue(pg.stops.isEmpty());
        assertTrue(pg.running);
    }

    @Test
    void refusedWhileThisNodeIsSureItHoldsTheLeaderKey() throws Exception {
        state.set(NodeStates.node("node1").lock("node1", nanos.get() + 5 * SECOND).build());
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node2\"}");
        assertEquals(409, a.status());
        assertFalse(json(a).get("fenced").asBoolean());
        assertTrue(json(a).get("error").asText().contains("lease it is sure of"), a::toString);
        assertTrue(pg.stops.isEmpty());

        // Once the lease it was sure of has run out, the same request fences.
        nanos.addAndGet(6 * SECOND);
        assertEquals(200, fence(actions(), "{\"leader\":\"node2\"}").status());
        assertEquals(1, pg.stops.size());
    }

    @Test
    void refusedWhenTheLeaderNamedIsThisNode() throws Exception {
        RestApi.Answer a = fence(actions(), "{\"leader\":\"node1\"}");
        assertEquals(409, a.status());
        assertTrue(json(a).get("error").asText().contains("this node"), a::toString);
        assertTrue(pg.stops.isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "not json",
        "[\"node2\"]",
        "\"node2\"",
        "{}",
        "{\"leader\":null}",
        "{\"leader\":\"\"}",
        "{\"leader\":42}",
        "{\"leader\":[\"node2\"]}",
        "{\"leader\":\"node/2\"}",
        "{\"leader\":\"node2\\nforged log line\"}",
        "{\"leader\":\"../../etc\"}x",
        "{\"leader\":\"node2\",\"timeout\":\"5\"}",
        "{\"leader\":\"node2\",\"timeout\":0}",
        "{\"leader\":\"node2\",\"timeout\":-3}",
        "{\"leader\":\"node2\",\"timeout\":61}",
        "{\"leader\":\"node2\",\"timeout\":2.5}",
        "{\"leader\":\"node2\",\"timeout\":true}",
        "{\"leader\":\"node2\",\"timeout\":99999999999999999999}",
    })
    void aBadBodyIsA400AndTouchesNothing(String body) throws Exception {
        RestApi.Answer a = fence(actions(), body);
        assertEquals(400, a.status(), () -> body + " -> " + a);
        JsonNode n = json(a);
        assertFalse(n.get("fenced").asBoolean());
        assertFalse(n.get("error").asText().isBlank());
        assertFalse(n.get("error").asText().contains("\n"), "no control characters in the message");
        assertTrue(pg.stops.isEmpty());
    }

    @Test
    void aLongNameIsRefusedAndNotEchoedWhole() throws Exception {
        String name = "n".repeat(129);
        RestApi.Answer a = fence(actions(), "{\"leader\":\"" + name + "\"}");
        assertEquals(400, a.status());
        assertFalse(a.body().contains(name));
    }

    @Test
    void theMessagesSayWhatIsWrong() {
        assertEquals("fence needs a leader: the member that holds the leader key now",
                ((RestRequests.Parsed.Bad<RestRequests.Fence>) RestRequests.fence("{\"timeout\":5}")).message());
        assertEquals("timeout must be a whole number of seconds from 1 to 60; got \"5\"",
                ((RestRequests.Parsed.Bad<RestRequests.Fence>) RestRequests.fence("{\"leader\":\"n\",\"timeout\":\"5\"}"))
                        .message());
        assertEquals(new RestRequests.Parsed.Ok<>(new RestRequests.Fence("node-2.a_b", Duration.ofSeconds(60))),
                RestRequests.fence("{\"leader\":\"node-2.a_b\",\"timeout\":60,\"extra\":1}"));
    }

    @Test
    void anAgentWithoutFencingSaysSo() throws Exception {
        RestApi.Answer a = fence(actions(null), "{\"leader\":\"node2\"}");
        assertEquals(503, a.status());
        assertFalse(json(a).get("fenced").asBoolean());
    }

    @Test
    void oneFenceAtATime() throws Exception {
        AgentActions a = actions();
        pg.stopBlocks = new CountDownLatch(1);
        CompletableFuture<RestApi.Answer> first = CompletableFuture.supplyAsync(
                () -> fence(a, "{\"leader\":\"node2\",\"timeout\":30}"));
        long deadline = System.nanoTime() + 30 * SECOND;
        while (pg.stops.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        RestApi.Answer second = fence(a, "{\"leader\":\"node2\",\"timeout\":1}");
        assertEquals(503, second.status(), second::toString);
        assertTrue(json(second).get("error").asText().contains("another fence is in progress"), second::toString);

        pg.stopBlocks.countDown();
        assertEquals(200, first.get(30, TimeUnit.SECONDS).status());
        RestApi.Answer third = fence(a, "{\"leader\":\"node2\"}");
        assertEquals("{\"fenced\":true,\"state\":\"not running\"}", third.body());
        assertEquals(1, pg.stops.size(), pg.stops::toString);
    }

    // ------------------------------------------------------------ over HTTP, with the peers' client

    private static final BasicAuth AUTH = new BasicAuth("baton", "fence-pw");

    private static MemberStatus oldPrimary(String base) {
        return new MemberStatus("node1", "postgres://127.0.0.1:5432/postgres", base + "/patroni", MemberState.RUNNING,
                Role.PRIMARY, 100, 2, Map.of(), "0.1.0", false, false, null);
    }

    @Test
    void overHttpTheEndpointNeedsTheCredentialsAndFencesWithThem() throws Exception {
        RestApiConfig config = new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH, List.of(),
                false, Map.of(), Map.of());
        pg.checkpointLsn = 0x30000D8L;
        pg.status = primaryAt(0x3000060L);
        try (RestApi api = new RestApi("127.0.0.1", 0, config, host -> List.of(), state::get, nanos::get, "test-1.0", 10,
                RestLimits.DEFAULTS)) {
            api.setActions(actions());
            api.start();
            String base = "http://127.0.0.1:" + api.port();
            Duration timeout = Duration.ofSeconds(10);

            FenceResult anonymous = new HttpPeerClient().fence(oldPrimary(base), "node2", timeout);
            assertEquals(FenceResult.Outcome.REFUSED, anonymous.outcome());
            assertTrue(anonymous.detail().startsWith("HTTP 401"), anonymous::toString);
            assertTrue(pg.stops.isEmpty(), "not stopped without the credentials");

            HttpPeerClient member = new HttpPeerClient(AgentClient.create(
                    new RestClientSettings(TlsFiles.NONE, false, AUTH, null), Duration.ofSeconds(1)));
            FenceResult self = member.fence(oldPrimary(base), "node1", timeout);
            assertEquals(FenceResult.Outcome.REFUSED, self.outcome());
            assertTrue(self.detail().startsWith("HTTP 409"), self::toString);

            FenceResult r = member.fence(oldPrimary(base), "node2", timeout);
            assertEquals(FenceResult.Outcome.FENCED, r.outcome(), r::toString);
            assertEquals(0x30000D8L, r.flushLsn(), "the shutdown checkpoint, past the write position read before");
            assertEquals(List.of("FAST 6000"), pg.stops, "8 s of the 10 for the agent, 3/4 of them for the fast stop");

            assertEquals(FenceResult.Outcome.NOT_RUNNING, member.fence(oldPrimary(base), "node2", timeout).outcome());
        }
    }

    /** The other actions are not what these tests are about. */
    private static final class NoOperator implements AgentActions.Operator {
        @Override
        public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
            throw new AssertionError("not expected");
        }

        @Override
        public OperatorPolicy.Result reload() {
            throw new AssertionError("not expected");
        }

        @Override
        public OperatorPolicy.Result reinitialize() {
            throw new AssertionError("not expected");
        }
    }
}
