package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.testing.InMemoryCluster;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** PATCH and PUT /config over the in-memory store: Patroni's status codes, and nothing written unless 200. */
class ConfigActionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SEED = "{\"ttl\":10,\"loop_wait\":1,\"retry_timeout\":3,"
            + "\"postgresql\":{\"use_slots\":true,\"parameters\":{\"work_mem\":\"4MB\"}}}";

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);
    private final AtomicInteger wakeUps = new AtomicInteger();

    /** The in-memory store, counting wake-ups and running {@code beforeCas} before each casConfig. */
    private ClusterStore store(Runnable beforeCas) {
        ClusterStore real = etcd.store("node1", 10);
        return (ClusterStore) Proxy.newProxyInstance(ClusterStore.class.getClassLoader(),
                new Class<?>[] {ClusterStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("casConfig")) {
                        beforeCas.run();
                    } else if (method.getName().equals("wakeUp")) {
                        wakeUps.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static final AgentActions.Operator NO_OPERATOR = new AgentActions.Operator() {
        @Override
        public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
            throw new AssertionError("not called");
        }

        @Override
        public OperatorPolicy.Result reload() {
            throw new AssertionError("not called");
        }

        @Override
        public OperatorPolicy.Result reinitialize() {
            throw new AssertionError("not called");
        }
    };

    private RestApi.Answer call(String method, String body, Runnable beforeCas) {
        AgentActions a = new AgentActions(NO_OPERATOR, store(beforeCas), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30));
        return a.act(method, "/config", Map.of(), body);
    }

    private RestApi.Answer patch(String body) {
        return call("PATCH", body, () -> { });
    }

    private RestApi.Answer put(String body) {
        return call("PUT", body, () -> { });
    }

    private String key() {
        return etcd.value("config").orElse(null);
    }

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void patronictlPauseAndResume() throws Exception {
        etcd.put("config", SEED);
        RestApi.Answer paused = patch("{\"pause\":true}");
        assertEquals(200, paused.status(), paused::toString);
        assertEquals(true, json(key()).path("pause").asBoolean());
        assertEquals(json(key()), json(paused.body()), "answers the new configuration");
        assertEquals(1, wakeUps.get(), "the own loop is woken");

        RestApi.Answer resumed = patch("{\"pause\":null}");
        assertEquals(200, resumed.status(), resumed::toString);
        assertEquals(json(SEED), json(key()));
    }

    @Test
    void aPatchMergesNestedMapsAndNullDeletes() throws Exception {
        etcd.put("config", SEED);
        RestApi.Answer a = patch("{\"loop_wait\":2,\"postgresql\":{\"parameters\":{\"work_mem\":null,"
                + "\"max_connections\":200}},\"my_note\":\"kept\"}");
        assertEquals(200, a.status(), a::toString);
        assertEquals(json("{\"ttl\":10,\"loop_wait\":2,\"retry_timeout\":3,\"postgresql\":{\"use_slots\":true,"
                + "\"parameters\":{\"max_connections\":200}},\"my_note\":\"kept\"}"), json(key()));
    }

    @Test
    void aPatchThatChangesNothingWritesNothing() throws Exception {
        etcd.put("config", SEED);
        long revision = etcd.revision();
        RestApi.Answer a = patch("{\"ttl\":10,\"pause\":null}");
        assertEquals(200, a.status(), a::toString);
        assertEquals(json(SEED), json(a.body()));
        assertEquals(revision, etcd.revision());
    }

    @Test
    void anInvalidResultIsRefusedNamingTheKeyAndNothingIsWritten() throws Exception {
        etcd.put("config", SEED);
        for (String bad : new String[] {"{\"ttl\":\"abc\"}", "{\"ttl\":\"x\"}", "{\"loop_wait\":9}",
                "{\"pause\":\"yes please\"}", "{\"postgresql\":{\"parameters\":{\"port\":5433}}}",
                "{\"postgresql\":{\"parameters\":{\"work_mem\":\"1MB\\nlisten_addresses='*'\"}}}"}) {
            RestApi.Answer a = patch(bad);
            assertEquals(400, a.status(), bad + " -> " + a);
            JsonNode body = json(a.body());
            assertTrue(body.path("error").asText().startsWith("refused, nothing was written: config"), a::toString);
            assertTrue(body.path("problems").size() >= 1, a::toString);
            assertEquals(SEED, key(), "unchanged after " + bad);
        }
        RestApi.Answer ttl = patch("{\"ttl\":\"x\"}");
        assertTrue(json(ttl.body()).path("problems").get(0).asText().startsWith("config.ttl: "), ttl::toString);
    }

    @Test
    void hostileBodiesAre400() throws Exception {
        etcd.put("config", SEED);
        String deep = "{\"a\":".repeat(50) + "1" + "}".repeat(50);
        String deeper = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
        for (String bad : new String[] {"", "  ", "{}", "[]", "[{\"pause\":true}]", "\"pause\"", "null", "42",
                "{not json", "{\"pause\":true", deep, deeper, "{\"a\\u0007\":1}"}) {
            for (String method : new String[] {"PATCH", "PUT"}) {
                RestApi.Answer a = call(method, bad, () -> { });
                assertEquals(400, a.status(), method + " " + bad.substring(0, Math.min(40, bad.length())) + " -> " + a);
                assertTrue(json(a.body()).has("error"), a::toString);
                assertTrue(a.body().chars().noneMatch(c -> c < 0x20), a::toString);
            }
            assertEquals(SEED, key());
        }
    }

    @Test
    void aProblemTheKeyAlreadyHadDoesNotBlockPause() throws Exception {
        String broken = "{\"ttl\":\"abc\",\"loop_wait\":1}";
        etcd.put("config", broken);
        RestApi.Answer a = patch("{\"pause\":true}");
        assertEquals(200, a.status(), a::toString);
        assertEquals(json("{\"ttl\":\"abc\",\"loop_wait\":1,\"pause\":true}"), json(key()));
        // ...but PUT writes the whole document: every problem counts.
        assertEquals(400, put(broken).status());
    }

    @Test
    void aLostRaceIs409AndTheOtherWriterWins() throws Exception {
        etcd.put("config", SEED);
        String other = "{\"ttl\":20,\"loop_wait\":1,\"retry_timeout\":3}";
        RestApi.Answer a = call("PATCH", "{\"pause\":true}", () -> etcd.put("config", other));
        assertEquals(409, a.status(), a::toString);
        assertTrue(json(a.body()).path("error").asText().contains("changed"), a::toString);
        assertEquals(other, key());
        assertEquals(0, wakeUps.get());
    }

    @Test
    void withoutAConfigKey503AndNothingIsCreated() {
        assertEquals(503, patch("{\"pause\":true}").status());
        assertEquals(503, put("{\"ttl\":10}").status());
        assertEquals(null, key());
    }

    @Test
    void aKeyThatIsNoObjectIsPatched409AndReplacedByPut() throws Exception {
        etcd.put("config", "garbage{");
        RestApi.Answer a = patch("{\"pause\":true}");
        assertEquals(409, a.status(), a::toString);
        assertTrue(a.body().contains("PUT /config"), a::toString);
        assertEquals("garbage{", key());
        RestApi.Answer replaced = put(SEED);
        assertEquals(200, replaced.status(), replaced::toString);
        assertEquals(json(SEED), json(key()));
    }

    @Test
    void putReplacesTheWholeConfiguration() throws Exception {
        etcd.put("config", SEED);
        String doc = "{\"ttl\":15,\"loop_wait\":2,\"retry_timeout\":4,\"pause\":true}";
        RestApi.Answer a = put(doc);
        assertEquals(200, a.status(), a::toString);
        assertEquals(json(doc), json(a.body()));
        assertEquals(json(doc), json(key()));
        assertEquals(1, wakeUps.get());
        assertEquals(400, put("{\"ttl\":\"x\"}").status());
        assertEquals(json(doc), json(key()), "unchanged by the refused PUT");
    }

    @Test
    void putHasNoVersionCheckButRetriesALostRace() throws Exception {
        etcd.put("config", SEED);
        AtomicInteger races = new AtomicInteger();
        String doc = "{\"ttl\":15}";
        RestApi.Answer a = call("PUT", doc, () -> {
            if (races.getAndIncrement() < 2) {
                etcd.put("config", "{\"ttl\":" + (20 + races.get()) + "}");
            }
        });
        assertEquals(200, a.status(), a::toString);
        assertEquals(json(doc), json(key()));

        RestApi.Answer lost = call("PUT", "{\"ttl\":30}", () -> etcd.put("config", "{\"ttl\":40}"));
        assertEquals(409, lost.status(), lost::toString);
        assertEquals("{\"ttl\":40}", key());
    }

    @Test
    void anUnreachableStoreIs503() {
        etcd.put("config", SEED);
        etcd.down(true);
        RestApi.Answer a = patch("{\"pause\":true}");
        assertEquals(503, a.status(), a::toString);
        etcd.down(false);
        assertEquals(SEED, key());
    }

    @Test
    void otherMethodsOnConfigAreNotActions() {
        etcd.put("config", SEED);
        assertEquals(null, call("POST", "{\"pause\":true}", () -> { }));
        assertEquals(null, call("DELETE", null, () -> { }));
        assertEquals(SEED, key());
    }
}
