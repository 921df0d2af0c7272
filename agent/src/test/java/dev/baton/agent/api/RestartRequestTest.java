package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.testing.InMemoryCluster;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** POST /restart's body as Patroni reads it, and the status codes of POST and DELETE /restart. */
class RestartRequestTest {

    private static RestRequests.Restart ok(String body) {
        RestRequests.Parsed<RestRequests.Restart> p = RestRequests.restart(body);
        assertInstanceOf(RestRequests.Parsed.Ok.class, p, () -> p.toString());
        return ((RestRequests.Parsed.Ok<RestRequests.Restart>) p).value();
    }

    private static String bad(String body) {
        RestRequests.Parsed<RestRequests.Restart> p = RestRequests.restart(body);
        assertInstanceOf(RestRequests.Parsed.Bad.class, p, () -> body + " -> " + p);
        return ((RestRequests.Parsed.Bad<RestRequests.Restart>) p).message();
    }

    @Test
    void patronictlsBodyIsRead() {
        RestRequests.Restart r = ok("{\"restart_pending\": true, \"postgres_version\": \"16.4\", "
                + "\"schedule\": \"2026-12-24T03:00:00+01:00\", \"timeout\": \"30s\", \"role\": \"master\"}");
        assertEquals(new RestRequests.Restart("master", true, "16.4", 30,
                OffsetDateTime.parse("2026-12-24T03:00:00+01:00")), r);
        assertEquals(new RestRequests.Restart(null, false), ok(""));
        assertEquals(120, ok("{\"timeout\": 120}").timeoutSeconds());
        assertEquals(120, ok("{\"timeout\": \"2min\"}").timeoutSeconds());
    }

    @Test
    void hostileBodiesAreBadRequests() {
        assertEquals("Unknown filter for the scheduled restart: force", bad("{\"force\": true}"));
        assertTrue(bad("{\"role\": 5}").startsWith("PostgreSQL role should be either primary or replica"));
        assertTrue(bad("{\"role\": \"leader\"}").startsWith("PostgreSQL role should be either primary or replica"));
        assertEquals("Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 16", bad("{\"postgres_version\": \"16\"}"));
        bad("{\"postgres_version\": 16.4}");
        bad("{\"postgres_version\": \"a.b.c\"}");
        for (String t : new String[] {"0", "-1", "\"x\"", "1.5", "true", "[]", "86401", "\"99999999999\""}) {
            assertTrue(bad("{\"timeout\": " + t + "}").startsWith("Timeout should be a positive number of seconds"), t);
        }
        assertTrue(bad("{\"schedule\": \"tomorrow\"}").startsWith("Unable to parse scheduled timestamp"));
        assertTrue(bad("{\"schedule\": \"2026-12-24T03:00:00\"}").startsWith("Unable to parse scheduled timestamp"),
                "the offset is mandatory");
        bad("{\"schedule\": 1767000000}");
        bad("{\"schedule\": \"2026-12-24T03:00:00+01:00\u0001\"}");
        bad("[1]");
        bad("{");
    }

    // ---------------------------------------------------------------- status codes

    /** Remembers what it was asked. */
    private static final class Operator implements AgentActions.Operator {
        final List<String> asked = new ArrayList<>();
        boolean scheduled;

        @Override
        public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
            throw new AssertionError("the full request is passed on");
        }

        @Override
        public OperatorPolicy.Result restart(OperatorPolicy.RestartRequest req, Duration wait) {
            asked.add("now " + req);
            return new OperatorPolicy.Result(200, "restarted successfully");
        }

        @Override
        public OperatorPolicy.Result scheduleRestart(OperatorPolicy.RestartRequest req, OffsetDateTime at) {
            asked.add("at " + at + " " + req);
            if (scheduled) {
                return new OperatorPolicy.Result(409, "Another restart is already scheduled");
            }
            scheduled = true;
            return new OperatorPolicy.Result(202, "Restart scheduled");
        }

        @Override
        public OperatorPolicy.Result deleteScheduledRestart() {
            boolean was = scheduled;
            scheduled = false;
            return was ? new OperatorPolicy.Result(200, "scheduled restart deleted")
                    : new OperatorPolicy.Result(404, "no restarts are scheduled");
        }

        @Override
        public OperatorPolicy.Result reload() {
            return new OperatorPolicy.Result(202, "reload scheduled");
        }

        @Override
        public OperatorPolicy.Result reinitialize() {
            return new OperatorPolicy.Result(200, "reinitialize started");
        }
    }

    @Test
    void postAndDeleteRestartAnswerAsPatroni() {
        AtomicLong nanos = new AtomicLong(1_000_000_000L);
        InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);
        Operator op = new Operator();
        AgentActions a = new AgentActions(op, etcd.store("node1", 10), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30));
        String body = "{\"schedule\": \"2026-12-24T03:00:00+01:00\", \"postgres_version\": \"16.4\"}";
        assertEquals(new RestApi.Answer(202, "Restart scheduled"), a.act("POST", "/restart", Map.of(), body));
        assertEquals(409, a.act("POST", "/restart", Map.of(), body).status());
        assertEquals(new RestApi.Answer(200, "scheduled restart deleted"), a.act("DELETE", "/restart", Map.of(), null));
        assertEquals(new RestApi.Answer(404, "no restarts are scheduled"), a.act("DELETE", "/restart", Map.of(), null));
        assertEquals(200, a.act("POST", "/restart", Map.of(), "{\"role\": \"replica\", \"timeout\": 5}").status());
        assertEquals(400, a.act("POST", "/restart", Map.of(), "{\"schedule\": \"soon\"}").status());
        assertEquals(List.of(
                "at 2026-12-24T03:00+01:00 RestartRequest[role=ANY, pendingOnly=false, postgresVersion=16.4, timeoutSeconds=null]",
                "at 2026-12-24T03:00+01:00 RestartRequest[role=ANY, pendingOnly=false, postgresVersion=16.4, timeoutSeconds=null]",
                "now RestartRequest[role=REPLICA, pendingOnly=false, postgresVersion=null, timeoutSeconds=5]"), op.asked);
    }
}
