package dev.baton.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentClientTest {
    static final String PRIMARY = "{\"state\":\"running\",\"postmaster_start_time\":\"2026-12-01 10:00:00.1+00:00\","
            + "\"role\":\"primary\",\"server_version\":150004,\"xlog\":{\"location\":50331800},\"timeline\":3,"
            + "\"cluster_unlocked\":false,\"pause\":true,\"pending_restart\":true,"
            + "\"patroni\":{\"version\":\"0.1.0\",\"scope\":\"demo\",\"name\":\"node1\"},"
            + "\"baton\":{\"leader\":\"node1\",\"holds_lock\":true,\"last_cycle\":\"no action: I am the leader\"}}";
    static final String REPLICA = "{\"state\":\"running\",\"role\":\"replica\",\"xlog\":{\"received_location\":700,"
            + "\"replayed_location\":650,\"replayed_timestamp\":null,\"paused\":false},"
            + "\"replication_state\":\"streaming\",\"timeline\":3}";

    private final AgentClient client = new AgentClient(Duration.ofSeconds(10));
    private FakeAgent agent;

    @BeforeEach
    void start() throws IOException {
        agent = new FakeAgent();
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    @Test
    void parsesAPrimaryOnce() {
        agent.answer("/patroni", 200, PRIMARY);
        PatroniStatus s = client.patroni(agent.base(), Duration.ofSeconds(30)).orElseThrow();
        assertEquals(MemberState.RUNNING, s.state());
        assertEquals(Role.PRIMARY, s.role());
        assertEquals(3, s.timeline());
        assertEquals(50331800L, s.xlogLocation());
        assertEquals(50331800L, s.walPosition());
        assertNull(s.receivedLocation());
        assertTrue(s.runningPrimary());
        assertFalse(s.streaming());
        assertTrue(s.paused());
        assertTrue(s.pendingRestart());
        assertEquals("node1", s.name());
        assertEquals("2026-12-01 10:00:00.1+00:00", s.postmasterStartTime());
        assertEquals("no action: I am the leader", s.batonLastCycle());
    }

    @Test
    void parsesAStreamingReplica() {
        PatroniStatus s = PatroniStatus.parse(REPLICA).orElseThrow();
        assertEquals(Role.REPLICA, s.role());
        assertNull(s.xlogLocation());
        assertEquals(700L, s.receivedLocation());
        assertEquals(650L, s.replayedLocation());
        assertEquals(700L, s.walPosition(), "the furthest of received and replayed");
        assertTrue(s.streaming());
        assertFalse(s.runningPrimary());
        assertNull(s.batonLastCycle());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"state\":\"running\",\"role\":\"master\"}                         | true  | 0",
            "{\"state\":\"starting\",\"role\":\"primary\"}                       | false | 0",
            "{\"state\":\"running\",\"role\":\"replica\",\"xlog\":{\"replayed_location\":9}} | false | 9",
            "{\"role\":\"primary\",\"xlog\":{\"location\":5}}                   | false | 5",
            "{}                                                                  | false | 0"})
    void primaryAndWalRules(String body, boolean runningPrimary, long wal) {
        PatroniStatus s = PatroniStatus.parse(body).orElseThrow();
        assertEquals(runningPrimary, s.runningPrimary(), body);
        assertEquals(wal, s.walPosition(), body);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {"not json", "[1,2]", "42", "\"text\"", "''", "NULL", "{\"state\":"})
    void garbageIsNoStatus(String body) {
        assertTrue(PatroniStatus.parse(body).isEmpty(), String.valueOf(body));
    }

    @Test
    void garbageOrAnErrorOverHttpIsNoStatus() {
        agent.answer("/patroni", 200, "<html>proxy error</html>");
        assertTrue(client.patroni(agent.base(), Duration.ofSeconds(30)).isEmpty());
        agent.answer("/patroni", 500, "{\"error\":\"internal error\"}");
        assertTrue(client.patroni(agent.base(), Duration.ofSeconds(30)).isEmpty());
    }

    @Test
    void aMemberThatDoesNotAnswerInTimeIsNoAnswer() {
        agent.hang("/patroni").hang("/primary");
        assertTrue(client.patroni(agent.base(), Duration.ofMillis(300)).isEmpty());
        assertTrue(client.fetch(agent.base() + "/patroni", Duration.ofMillis(300)).join().isEmpty());
        assertEquals(-1, client.statusCode(agent.base(), "/primary", Duration.ofMillis(300)).join());
        assertThrows(HttpTimeoutException.class, () -> client.get(agent.base(), "/patroni", Duration.ofMillis(300)));
    }

    @Test
    void aClosedPortIsNoAnswer() throws IOException {
        String base;
        try (ServerSocket s = new ServerSocket(0)) {
            base = "http://127.0.0.1:" + s.getLocalPort();
        }
        assertTrue(client.patroni(base, Duration.ofSeconds(1)).isEmpty());
        assertTrue(client.fetch(base + "/patroni", Duration.ofSeconds(1)).join().isEmpty());
        assertEquals(-1, client.statusCode(base, "/primary", Duration.ofSeconds(1)).join());
        assertThrows(IOException.class, () -> client.reload(base, Duration.ofSeconds(1)));
        assertTrue(client.fetch("not a url at all", Duration.ofSeconds(1)).join().isEmpty());
    }

    @Test
    void healthEndpointsAnswerTheirStatusCode() {
        agent.answer("/primary", 503, REPLICA).answer("/replica", 200, REPLICA);
        assertEquals(503, client.statusCode(agent.base(), "/primary", Duration.ofSeconds(30)).join());
        assertEquals(200, client.statusCode(agent.base(), "/replica", Duration.ofSeconds(30)).join());
    }

    @Test
    void actionsSendPatronisRequests() throws Exception {
        agent.answer("/switchover", 200, "Successfully switched over to \"node2\"")
                .answer("/failover", 412, "{\"message\":\"candidate is not healthy\"}")
                .answer("/restart", 202, "{\"message\":\"restart scheduled\"}")
                .answer("/reload", 202, "\"reload scheduled\"")
                .answer("/reinitialize", 503, "{\"error\":\"busy\"}");
        String b = agent.base();
        Duration t = Duration.ofSeconds(30);
        AgentClient.Reply r = client.switchover(b, "node1", "node2", "2030-01-01T00:00:00Z", t);
        assertEquals(200, r.status());
        assertEquals("Successfully switched over to \"node2\"", r.message());
        assertEquals(412, client.failover(b, null, "node3", t).status());
        assertEquals("restart scheduled", client.restart(b, true, "replica", t).message());
        assertEquals("reload scheduled", client.reload(b, t).message());
        assertEquals("busy", client.reinitialize(b, false, t).message());
        assertEquals(200, client.cancelSwitchover(b, t).status());
        assertEquals(200, client.switchoverAsync(b, "node1", t).join().status());
        var seen = agent.requests();
        assertEquals(new FakeAgent.Request("POST", "/switchover", null,
                "{\"leader\":\"node1\",\"candidate\":\"node2\",\"scheduled_at\":\"2030-01-01T00:00:00Z\"}"), seen.get(0));
        assertEquals(new FakeAgent.Request("POST", "/failover", null, "{\"candidate\":\"node3\"}"), seen.get(1));
        assertEquals(new FakeAgent.Request("POST", "/restart", null, "{\"restart_pending\":true,\"role\":\"replica\"}"),
                seen.get(2));
        assertEquals(new FakeAgent.Request("POST", "/reload", null, "{}"), seen.get(3));
        assertEquals(new FakeAgent.Request("POST", "/reinitialize", null, "{\"force\":false}"), seen.get(4));
        assertEquals(new FakeAgent.Request("DELETE", "/switchover", null, ""), seen.get(5));
        assertEquals(new FakeAgent.Request("POST", "/switchover", null, "{\"leader\":\"node1\"}"), seen.get(6));
    }

    @Test
    void anUnansweredAsyncSwitchoverIsNull() {
        agent.hang("/switchover");
        assertNull(client.switchoverAsync(agent.base(), "node1", Duration.ofMillis(300)).join());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http://10.0.0.1:8008/patroni   | http://10.0.0.1:8008",
            "http://10.0.0.1:8008/patroni/  | http://10.0.0.1:8008",
            " http://h:8008/  | http://h:8008",
            "http://h:8008    | http://h:8008",
            "https://h/api/patroni | https://h/api"})
    void baseOfAnApiUrl(String apiUrl, String base) {
        assertEquals(base, AgentClient.base(apiUrl));
    }

    @Test
    void baseOfAMember() {
        MemberStatus with = MemberStatus.parse("n1", "{\"api_url\":\"http://10.0.0.1:8008/patroni\"}");
        assertEquals(Optional.of("http://10.0.0.1:8008"), AgentClient.base(with));
        assertEquals(Optional.empty(), AgentClient.base(MemberStatus.parse("n2", "{\"api_url\":\" \"}")));
        assertEquals(Optional.empty(), AgentClient.base(MemberStatus.parse("n3", "{}")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "plain text             | plain text",
            "{\"message\":\"m\"}     | m",
            "{\"error\":\"e\"}       | e",
            "{\"reason\":\"r\"}      | r",
            "{\"other\":1}          | {\"other\":1}",
            "{broken               | {broken",
            "\"quoted\"             | quoted"})
    void messageOfAnAnswer(String body, String message) {
        assertEquals(message, new AgentClient.Reply(200, body).message());
    }

    @Test
    void aReplyWithoutBodyIsEmpty() {
        AgentClient.Reply r = new AgentClient.Reply(200, null);
        assertEquals("", r.message());
        assertTrue(r.json().isObject());
        assertEquals(Optional.empty(), r.patroni());
    }
}
