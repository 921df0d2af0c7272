package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The etcd config key read per key, with last good values: what issue 14 found and what must hold. */
class ConfigKeyReadingTest {

    /** What the agent last read: paused, synchronous and strict, with one parameter. */
    static final DynamicConfig LAST = new DynamicConfig(30, 10, 10, 1 << 20, 10, true, true,
            Map.of("work_mem", "8MB"), true, true, true, 1);
    static final DynamicConfig BOOTSTRAP = DynamicConfig.defaults();

    private static ConfigKeyReading read(String json) {
        return ConfigKeyReading.of(json, LAST, BOOTSTRAP);
    }

    @Test
    void aValidKeyIsReadAsIs() {
        ConfigKeyReading r = read("{\"ttl\": 20, \"loop_wait\": 5, \"retry_timeout\": 5}");
        assertTrue(r.isValid(), r.problems().toString());
        assertEquals(20, r.dynamic().ttl());
        assertFalse(r.dynamic().pause(), "a valid key without pause turns it off: that is what it says");
    }

    @Test
    void patroni4QuorumIsQuorumCommit() throws ConfigException {
        ConfigKeyReading r = read("{\"ttl\": 30, \"loop_wait\": 10, \"retry_timeout\": 10, \"pause\": true,"
                + " \"synchronous_mode\": \" Quorum \"}");
        assertTrue(r.isValid(), r.problems().toString());
        assertTrue(r.dynamic().synchronousMode(), "quorum implies synchronous mode");
        assertTrue(r.dynamic().synchronousQuorum());
        assertTrue(r.dynamic().pause());
        DynamicConfig d = DynamicConfig.fromJson("{\"synchronous_mode\": \"quorum\"}");
        assertTrue(d.synchronousQuorum());
        assertTrue(d.toJson().contains("\"synchronous_mode\":\"quorum\""), d.toJson());
        assertTrue(DynamicConfig.fromJson(d.toJson()).synchronousQuorum(), "round trip");
        for (String plain : List.of("true", "\"on\"", "\"off\"", "false")) {
            DynamicConfig p = DynamicConfig.fromJson("{\"synchronous_mode\": " + plain + "}");
            assertFalse(p.synchronousQuorum(), plain);
            assertEquals(plain.contains("true") || plain.contains("on"), p.synchronousMode(), plain);
        }
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> DynamicConfig.fromJson("{\"synchronous_mode\": \"quorums\"}"));
        assertTrue(e.getMessage().contains("synchronous_mode"), e.getMessage());
    }

    @Test
    void anInvalidValueKeepsItsLastGoodValueAndTheOthersApply() {
        ConfigKeyReading r = read("{\"ttl\": 40, \"loop_wait\": \"soon\", \"retry_timeout\": 10, \"pause\": \"maybe\","
                + " \"synchronous_mode\": 3, \"postgresql\": {\"parameters\": {\"work_mem\": {\"x\": 1},"
                + " \"shared_buffers\": \"1GB\"}}}");
        DynamicConfig d = r.dynamic();
        assertEquals(40, d.ttl(), "a valid key applies");
        assertEquals(10, d.loopWait(), "the last good loop_wait");
        assertTrue(d.pause(), "an invalid pause never turns pause off");
        assertTrue(d.synchronousMode(), "an invalid synchronous_mode never turns it off");
        assertFalse(d.synchronousModeStrict(), "absent: off, as the key says");
        assertEquals(Map.of("work_mem", "8MB", "shared_buffers", "1GB"), d.parameters());
        assertEquals(4, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().contains("config.pause: must be a boolean (true or false), got \"maybe\"; "
                + "keeping the last good value true"), r.problems().toString());
    }

    @Test
    void anUnparsableDocumentKeepsTheWholeLastGoodConfiguration() {
        for (String garbage : List.of("garbage{", "", "  ", "[1,2]", "null", "42", "\"text\"")) {
            ConfigKeyReading r = read(garbage);
            assertEquals(LAST, r.dynamic(), garbage);
            assertEquals(1, r.problems().size(), garbage);
            assertTrue(r.problems().get(0).startsWith("config: "), r.problems().get(0));
        }
    }

    @Test
    void beforeAnyGoodReadTheFlagsReadAsOn() {
        ConfigKeyReading whole = ConfigKeyReading.of("garbage{", null, BOOTSTRAP);
        assertTrue(whole.dynamic().pause());
        assertTrue(whole.dynamic().strictSynchronous());
        assertEquals(BOOTSTRAP.ttl(), whole.dynamic().ttl());
        ConfigKeyReading one = ConfigKeyReading.of("{\"pause\": \"maybe\", \"ttl\": \"x\"}", null, BOOTSTRAP);
        assertTrue(one.dynamic().pause(), "unknown: on");
        assertFalse(one.dynamic().synchronousMode(), "valid (absent) keys read as written");
        assertEquals(BOOTSTRAP.ttl(), one.dynamic().ttl(), "bootstrap.dcs is the last good value of the rest");
    }

    @Test
    void anUnsafeTimingCombinationIsReadAsWrittenForTheAgentToAdjust() {
        // As in Patroni: the key keeps what was written; each agent applies Timing.adjusted() (Retiming).
        ConfigKeyReading r = read("{\"ttl\": 5, \"loop_wait\": 10, \"retry_timeout\": 10, \"pause\": false}");
        DynamicConfig d = r.dynamic();
        assertEquals(new Timing(5, 10, 10), d.timing());
        assertTrue(d.timing().adjusted().timing().safe(), d.toString());
        assertEquals(List.of(), r.problems(), "a warning of the agent, not a problem of the key");
    }

    @Test
    void problemsAreOneLineAndBounded() {
        StringBuilder params = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            params.append(i == 0 ? "" : ",").append("\"p").append(i).append("\": [1]");
        }
        ConfigKeyReading r = read("{\"postgresql\": {\"parameters\": {" + params + "}}, \"ttl\": \"a\\nb\"}");
        assertEquals(ConfigKeyReading.MAX_PROBLEMS + 1, r.problems().size());
        assertTrue(r.problems().stream().noneMatch(p -> p.contains("\n")), r.problems().toString());
        assertEquals(Map.of(), r.dynamic().parameters(), "invalid parameters new in the key have no last good value");
    }

    // ---------------------------------------------------------------- properties

    @Property
    void anyStringIsReadWithoutThrowingAndNeverTurnsTheFlagsOff(@ForAll String value) {
        check(value);
    }

    @Property
    void anyJsonObjectIsReadWithoutThrowingAndNeverTurnsTheFlagsOff(@ForAll("configs") String value) {
        check(value);
    }

    private static void check(String value) {
        ConfigKeyReading r = read(value);
        DynamicConfig d = r.dynamic();
        assertTrue(d.timing().boundErrors("config").isEmpty(), () -> value + " -> " + d.timing().boundErrors("config"));
        assertTrue(d.timing().adjusted().timing().safe(), () -> value + " -> " + d.timing());
        assertTrue(r.problems().size() <= ConfigKeyReading.MAX_PROBLEMS + 1);
        assertTrue(r.problems().stream().allMatch(p -> p.length() <= 303 && p.chars().noneMatch(Character::isISOControl)));
        if (invalidFlag(value, "pause")) {
            assertTrue(d.pause(), () -> value + " -> " + r.problems());
        }
        if (invalidFlag(value, "synchronous_mode")) {
            assertTrue(d.synchronousMode(), () -> value + " -> " + r.problems());
        }
    }

    /** Whether {@code flag} is not validly written in {@code value}: the document is no object, or its value is no boolean. */
    private static boolean invalidFlag(String value, String flag) {
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(value);
        } catch (Exception e) {
            return true;
        }
        if (n == null || !n.isObject()) {
            return true;
        }
        com.fasterxml.jackson.databind.JsonNode v = n.get(flag);
        return v != null && !v.isNull() && !v.isBoolean()
                && !(v.isTextual() && v.textValue().trim().toLowerCase().matches("true|false|on|off|yes|no|1|0"));
    }

    @Provide
    Arbitrary<String> configs() {
        Arbitrary<String> keys = Arbitraries.of("ttl", "loop_wait", "retry_timeout", "pause", "synchronous_mode",
                "synchronous_mode_strict", "synchronous_node_count", "maximum_lag_on_failover", "postgresql",
                "maximum_lag_on_syncnode",
                "primary_start_timeout", "master_start_timeout", "x");
        Arbitrary<String> values = Arbitraries.oneOf(Arbitraries.integers().between(-5, 100).map(String::valueOf),
                Arbitraries.of("true", "false", "null", "\"quorum\"", "\"on\"", "\"16MB\"", "[]", "{}", "1e99",
                        "99999999999999999999", "{\"parameters\": {\"work_mem\": \"4MB\", \"a.b\": [1]}}",
                        "{\"parameters\": 3}", "{\"use_slots\": \"x\"}"),
                Arbitraries.strings().ofMaxLength(8).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\""));
        return Arbitraries.maps(keys, values).ofMaxSize(8).map(m -> {
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
            return sb.append('}').toString();
        });
    }
}
