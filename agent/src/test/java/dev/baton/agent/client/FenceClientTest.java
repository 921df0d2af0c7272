package dev.baton.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.FenceResult.Outcome;
import dev.baton.config.TlsFiles;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link AgentClient#fence} and how {@link HttpPeerClient#fence} maps what the old primary's agent answers. */
class FenceClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final FakeAgent agent;

    FenceClientTest() throws IOException {
        agent = new FakeAgent();
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    private static MemberStatus oldPrimary(String base) {
        return new MemberStatus("node1", "postgres://127.0.0.1:5432/postgres", base == null ? null : base + "/patroni",
                MemberState.RUNNING, Role.PRIMARY, 100, 2, Map.of(), "0.1.0", false, false, null);
    }

    private FenceResult fence(FakeAgent a, Duration timeout) {
        return new HttpPeerClient().fence(oldPrimary(a.base()), "node2", timeout);
    }

    @Test
    void sendsTheLeaderAndAShareOfTheTimeout() throws Exception {
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"stopped\",\"mode\":\"fast\",\"lsn\":\"0/3000060\"}");
        FenceReply r = new AgentClient(TIMEOUT).fence(agent.base(), "node2", Duration.ofSeconds(10));
        assertEquals(new FenceReply(200, true, "stopped", "fast", 0x3000060L, ""), r);
        FakeAgent.Request req = agent.requests().get(0);
        assertEquals("POST", req.method());
        assertEquals("/fence", req.path());
        JsonNode body = JSON.readTree(req.body());
        assertEquals("node2", body.get("leader").asText());
        assertEquals(8, body.get("timeout").asInt());
    }

    @Test
    void theAgentsShareOfTheTimeoutIsWholeSecondsWithinWhatItAccepts() {
        assertEquals(Duration.ofSeconds(1), AgentClient.fenceBudget(Duration.ofMillis(300)));
        assertEquals(Duration.ofSeconds(4), AgentClient.fenceBudget(Duration.ofSeconds(5)));
        assertEquals(Duration.ofSeconds(8), AgentClient.fenceBudget(Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(60), AgentClient.fenceBudget(Duration.ofMinutes(10)));
    }

    @Test
    void stoppedIsFencedWithTheLsnToDrainTo() {
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"stopped\",\"mode\":\"immediate\",\"lsn\":\"1/A0\"}");
        FenceResult r = fence(agent, TIMEOUT);
        assertEquals(Outcome.FENCED, r.outcome());
        assertEquals((1L << 32) + 0xA0, r.flushLsn());
        assertTrue(r.detail().contains("immediate"), r::toString);
    }

    @Test
    void notRunningAndNotAPrimaryAreTheirOutcomes() {
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"not running\"}");
        assertEquals(Outcome.NOT_RUNNING, fence(agent, TIMEOUT).outcome());
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"not a primary\"}");
        FenceResult r = fence(agent, TIMEOUT);
        assertEquals(Outcome.NOT_PRIMARY, r.outcome());
        assertEquals(0, r.flushLsn());
    }

    @Test
    void anyOtherAnswerIsARefusalWithItsStatusAndWords() {
        agent.answer("/fence", 409, "{\"fenced\":false,\"error\":\"this node holds the leader key\"}");
        FenceResult r = fence(agent, TIMEOUT);
        assertEquals(Outcome.REFUSED, r.outcome());
        assertEquals("HTTP 409: this node holds the leader key", r.detail());

        agent.answer("/fence", 401, "no auth header received");
        assertEquals("HTTP 401: no auth header received", fence(agent, TIMEOUT).detail());
        agent.answer("/fence", 403, "Access is denied");
        assertEquals(Outcome.REFUSED, fence(agent, TIMEOUT).outcome());
        agent.answer("/fence", 405, "{\"error\":\"method POST is not allowed on /fence\"}"); // an older agent
        assertEquals(Outcome.REFUSED, fence(agent, TIMEOUT).outcome());
        agent.answer("/fence", 200, "<html>a proxy</html>");
        assertEquals(Outcome.REFUSED, fence(agent, TIMEOUT).outcome());
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"resting\"}");
        assertEquals(Outcome.REFUSED, fence(agent, TIMEOUT).outcome());
        agent.answer("/fence", 503, "{\"fenced\":false,\"error\":\"line one\\nline two\"}");
        assertFalse(fence(agent, TIMEOUT).detail().contains("\n"), "one line in the log and history");
    }

    @Test
    void anAgentThatDoesNotAnswerInTimeIsUnreachableWithinTheTimeout() {
        agent.hang("/fence");
        long start = System.nanoTime();
        FenceResult r = fence(agent, Duration.ofMillis(500));
        assertEquals(Outcome.UNREACHABLE, r.outcome(), r::toString);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "bounded (a generous deadline)");
    }

    @Test
    void aClosedPortOrNoApiUrlIsUnreachable() throws IOException {
        String base;
        try (ServerSocket s = new ServerSocket(0)) {
            base = "http://127.0.0.1:" + s.getLocalPort();
        }
        FenceResult closed = new HttpPeerClient().fence(oldPrimary(base), "node2", TIMEOUT);
        assertEquals(Outcome.UNREACHABLE, closed.outcome());
        assertTrue(closed.detail().contains("the agent is down"), "told by a TCP connect first: " + closed.detail());
        FenceResult none = new HttpPeerClient().fence(oldPrimary(null), "node2", TIMEOUT);
        assertEquals(Outcome.UNREACHABLE, none.outcome());
        assertTrue(none.detail().contains("api_url"), none::toString);
        FenceResult garbage = new HttpPeerClient().fence(new MemberStatus("node1", null, "http://[bad/patroni",
                MemberState.RUNNING, Role.PRIMARY, 0, 2, Map.of(), "0.1.0", false, false, null), "node2", TIMEOUT);
        assertEquals(Outcome.UNREACHABLE, garbage.outcome(), "never throws");
    }

    @Test
    void aClientSetUpForTlsRefusesToFenceOverPlainHttp() {
        agent.answer("/fence", 200, "{\"fenced\":true,\"state\":\"not running\"}");
        HttpPeerClient tlsClient;
        try {
            tlsClient = new HttpPeerClient(AgentClient.create(
                    new RestClientSettings(TlsFiles.NONE, true, null, null), Duration.ofSeconds(1)));
        } catch (ClientSetupException e) {
            throw new AssertionError(e);
        }
        FenceResult r = tlsClient.fence(oldPrimary(agent.base()), "node2", TIMEOUT);
        assertEquals(Outcome.REFUSED, r.outcome(), r::toString);
        assertTrue(agent.requests().isEmpty(), "nothing sent in clear");
    }
}
