package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.testing.InMemoryCluster;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * Whatever a client sends, the request parsers return a typed request or a 400 message, and the
 * actions answer with a status they document: never an exception, never a 500.
 */
class RestRequestsPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("leader", "candidate", "member", "scheduled_at", "role",
            "restart_pending", "force", "timeout");

    // ---------------------------------------------------------------- generators

    /** A JSON value of any type, strings biased to the values the parsers look for. */
    private static Arbitrary<JsonNode> value(int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Arbitrary<JsonNode> strings = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
                Arbitraries.of("now", "", "node1", "node2", "primary", "master", "replica", "any", "2026-01-02T03:04:05+00:00",
                        "2026-01-02 03:04:05", "2026-01-02T03:04:05", "+999999999-12-31T23:59:59.999999999-18:00",
                        "-999999999-01-01T00:00:00+18:00", "true")).map(f::textNode);
        Arbitrary<JsonNode> scalars = Arbitraries.oneOf(strings, Arbitraries.integers().map(f::numberNode),
                Arbitraries.doubles().map(f::numberNode), Arbitraries.of(true, false).map(f::booleanNode),
                Arbitraries.just(f.nullNode()));
        if (depth == 0) {
            return scalars;
        }
        Arbitrary<JsonNode> arrays = value(depth - 1).list().ofMaxSize(3).map(l -> {
            var a = f.arrayNode();
            l.forEach(a::add);
            return a;
        });
        return Arbitraries.oneOf(scalars, scalars, arrays, object(depth - 1).map(o -> o));
    }

    private static Arbitrary<ObjectNode> object(int depth) {
        Arbitrary<String> keys = Arbitraries.oneOf(Arbitraries.of(FIELDS), Arbitraries.strings().ofMaxLength(8));
        return Arbitraries.maps(keys, value(depth)).ofMaxSize(5).map(m -> {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            m.forEach(o::set);
            return o;
        });
    }

    /** Request bodies: JSON objects with the known fields, other JSON, truncated JSON, or any text. */
    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> objects = object(2).map(JsonNode::toString);
        return Arbitraries.oneOf(objects, objects, value(2).map(JsonNode::toString),
                objects.map(s -> s.substring(0, s.length() / 2)), Arbitraries.strings(),
                Arbitraries.of("", " ", "null", "{}", "[]", "{\"candidate\":", "\u0000", "{\"a\":1}{\"b\":2}"));
    }

    @Provide
    Arbitrary<String> queries() {
        Arbitrary<String> part = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(10),
                Arbitraries.of("lag", "tag_zone", "fresh", "%", "%2", "%zz", "%e2%82", "=", "+", "lag=16MB", "lag=-1"));
        return part.list().ofMaxSize(4).map(l -> String.join("&", l));
    }

    // ---------------------------------------------------------------- the parsers

    @Property(tries = 200)
    void aQueryIsAMapOrABadRequest(@ForAll("queries") String raw) {
        RestRequests.Parsed<Map<String, String>> p = RestRequests.query(raw);
        if (p instanceof RestRequests.Parsed.Bad<Map<String, String>> b) {
            assertTrue(b.message().startsWith("malformed query string"), b.message());
        }
    }

    @Property(tries = 200)
    void anEncodedQueryComesBackAsItWasSent(@ForAll @Size(max = 4) Map<@StringLength(max = 12) String, @StringLength(max = 12) String> sent) {
        StringJoiner raw = new StringJoiner("&");
        sent.forEach((k, v) -> raw.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        RestRequests.Parsed<Map<String, String>> p = RestRequests.query(raw.toString());
        Map<String, String> got = ((RestRequests.Parsed.Ok<Map<String, String>>) p).value();
        if (!sent.containsKey("")) { // "=v" and an empty query part both mean an empty key
            assertEquals(sent, got);
        }
    }

    @Property(tries = 200)
    void aBodyIsAnObjectOrABadRequest(@ForAll("bodies") String body) {
        RestRequests.Parsed<JsonNode> p = RestRequests.object(body);
        if (p instanceof RestRequests.Parsed.Ok<JsonNode> ok) {
            assertTrue(ok.value().isObject());
        } else {
            assertNotNull(((RestRequests.Parsed.Bad<JsonNode>) p).message());
        }
    }

    @Property(tries = 200)
    void aTakeoverIsTypedOrABadRequest(@ForAll("bodies") String body, @ForAll boolean planned) {
        RestRequests.Parsed<RestRequests.Takeover> p = RestRequests.takeover(body, planned);
        if (p instanceof RestRequests.Parsed.Ok<RestRequests.Takeover> ok && !planned) {
            assertNotNull(ok.value().candidate(), "a failover names its candidate");
            assertNull(ok.value().scheduledAt(), "a failover is never scheduled");
        }
    }

    @Property(tries = 200)
    void aRestartIsTypedOrABadRequest(@ForAll("bodies") String body) {
        RestRequests.Parsed<RestRequests.Restart> p = RestRequests.restart(body);
        if (p instanceof RestRequests.Parsed.Ok<RestRequests.Restart> ok && ok.value().role() != null) {
            assertTrue(OperatorPolicy.RoleFilter.parse(ok.value().role()).isPresent(), ok.value().role());
        }
    }

    @Property(tries = 200)
    void aFenceIsTypedOrABadRequest(@ForAll("bodies") String body) {
        RestRequests.Parsed<RestRequests.Fence> p = RestRequests.fence(body);
        if (p instanceof RestRequests.Parsed.Ok<RestRequests.Fence> ok) {
            assertTrue(ok.value().leader().matches("[A-Za-z0-9_.-]{1,128}"), ok.value().leader());
            long t = ok.value().timeout().toSeconds();
            assertTrue(t >= RestRequests.FENCE_MIN_SECONDS && t <= RestRequests.FENCE_MAX_SECONDS, ok.toString());
        } else {
            String m = ((RestRequests.Parsed.Bad<RestRequests.Fence>) p).message();
            assertTrue(m.chars().noneMatch(Character::isISOControl), m);
        }
    }

    @Example
    void controlCharactersInBadJsonAreNotEchoed() {
        String m = ((RestRequests.Parsed.Bad<RestRequests.Fence>) RestRequests.fence("$\u0001\n{")).message();
        assertTrue(m.startsWith("the request body is not valid JSON"), m);
        assertTrue(m.chars().noneMatch(Character::isISOControl), m);
    }

    @Example
    void deeplyNestedJsonIsABadRequest() {
        String deep = "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertTrue(RestRequests.object(deep) instanceof RestRequests.Parsed.Bad<JsonNode>);
    }

    // ---------------------------------------------------------------- the actions

    private static final Set<Integer> DOCUMENTED = Set.of(200, 202, 400, 404, 409, 412, 422, 503);

    @Property(tries = 200)
    void theActionsAnswerADocumentedStatusWhateverTheBody(
            @ForAll("bodies") String body,
            @ForAll("actionPaths") String methodAndPath) {
        // The clock moves on with every reading, so a request that does reach the wait returns at once.
        AtomicLong nanos = new AtomicLong();
        InMemoryCluster etcd = new InMemoryCluster("demo", () -> nanos.addAndGet(1_000_000_000L));
        etcd.store("node1", 10).tryAcquireLeader();
        AgentActions actions = new AgentActions(new AgentActions.Operator() {
            @Override
            public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
                return new OperatorPolicy.Result(200, "restarted successfully");
            }

            @Override
            public OperatorPolicy.Result reload() {
                return new OperatorPolicy.Result(202, "reload scheduled");
            }

            @Override
            public OperatorPolicy.Result reinitialize() {
                return new OperatorPolicy.Result(200, "reinitialize started");
            }
        }, etcd.store("node2", 10), nanos::get, DynamicConfig.defaults(), Duration.ofMillis(1));
        String[] mp = methodAndPath.split(" ", 2);
        RestApi.Answer a = actions.act(mp[0], mp[1], Map.of(), body);
        if (a != null) {
            assertTrue(DOCUMENTED.contains(a.status()), a.toString());
            assertNotEquals("", a.body());
        }
    }

    @Provide
    Arbitrary<String> actionPaths() {
        return Arbitraries.oneOf(Arbitraries.of("POST /switchover", "DELETE /switchover", "POST /failover",
                "POST /restart", "DELETE /restart", "POST /reload", "POST /reinitialize", "PATCH /config", "PUT /config"),
                Arbitraries.strings().ofMaxLength(10).map(s -> "POST /" + s));
    }
}
