package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merge and the checks behind PATCH and PUT /config. */
class ConfigPatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String s) {
        try {
            return (ObjectNode) JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String merged(String target, String patch) {
        return ConfigPatch.merge(json(target), json(patch)).toString();
    }

    @Test
    void aValueReplacesAndANewKeyIsAdded() {
        assertEquals("{\"ttl\":20,\"loop_wait\":1,\"pause\":true}",
                merged("{\"ttl\":10,\"loop_wait\":1}", "{\"ttl\":20,\"pause\":true}"));
    }

    @Test
    void nullRemovesAKeyAndRemovingAnAbsentKeyChangesNothing() {
        assertEquals("{\"ttl\":10}", merged("{\"ttl\":10,\"pause\":true}", "{\"pause\":null}"));
        assertEquals("{\"ttl\":10}", merged("{\"ttl\":10}", "{\"pause\":null}"));
    }

    @Test
    void mapsMergeRecursively() {
        assertEquals("{\"postgresql\":{\"use_slots\":true,\"parameters\":{\"work_mem\":\"16MB\",\"max_connections\":200}}}",
                merged("{\"postgresql\":{\"use_slots\":true,\"parameters\":{\"work_mem\":\"4MB\",\"max_wal_senders\":10}}}",
                        "{\"postgresql\":{\"parameters\":{\"work_mem\":\"16MB\",\"max_wal_senders\":null,"
                                + "\"max_connections\":200}}}"));
    }

    @Test
    void aMapOverAScalarReplacesItWithoutItsNulls() {
        // RFC 7386: the patch's map is merged into an empty one, so its nulls remove nothing and vanish.
        assertEquals("{\"postgresql\":{\"use_slots\":false}}",
                merged("{\"postgresql\":\"oops\"}", "{\"postgresql\":{\"use_slots\":false,\"parameters\":null}}"));
        assertEquals("{\"ttl\":10,\"postgresql\":{\"parameters\":{}}}",
                merged("{\"ttl\":10}", "{\"postgresql\":{\"parameters\":{\"work_mem\":null}}}"));
    }

    @Test
    void aListOrScalarReplacesAMap() {
        assertEquals("{\"slots\":[1]}", merged("{\"slots\":{\"a\":{}}}", "{\"slots\":[1]}"));
        assertEquals("{\"postgresql\":1}", merged("{\"postgresql\":{\"use_slots\":true}}", "{\"postgresql\":1}"));
    }

    @Test
    void theInputsAreNotChanged() {
        ObjectNode target = json("{\"postgresql\":{\"parameters\":{\"a\":\"1\"}}}");
        ObjectNode patch = json("{\"postgresql\":{\"parameters\":{\"b\":\"2\"}}}");
        ConfigPatch.merge(target, patch).with("postgresql").put("x", 1);
        assertEquals("{\"postgresql\":{\"parameters\":{\"a\":\"1\"}}}", target.toString());
        assertEquals("{\"postgresql\":{\"parameters\":{\"b\":\"2\"}}}", patch.toString());
    }

    @Test
    void aValidConfigurationHasNoProblemAndUnknownKeysAreKept() {
        assertEquals(List.of(), ConfigPatch.problems(json(DynamicConfig.defaults().toJson())));
        assertEquals(List.of(), ConfigPatch.problems(json("{\"pause\":true,\"my_own_key\":{\"x\":1},"
                + "\"failsafe_mode\":true}")));
    }

    @Test
    void wrongTypesAndBoundsNameTheKey() {
        List<ConfigError> p = ConfigPatch.problems(json("{\"ttl\":\"x\",\"pause\":\"maybe\"}"));
        assertTrue(p.stream().anyMatch(e -> e.path().equals("config.ttl")), p::toString);
        assertTrue(p.stream().anyMatch(e -> e.path().equals("config.pause")), p::toString);
        assertEquals("config.maximum_lag_on_failover",
                ConfigPatch.problems(json("{\"maximum_lag_on_failover\":-1}")).get(0).path());
    }

    @Test
    void theTimingRuleIsAnError() {
        List<ConfigError> p = ConfigPatch.problems(json("{\"ttl\":10,\"loop_wait\":5,\"retry_timeout\":5}"));
        assertEquals(1, p.size(), p::toString);
        assertTrue(p.get(0).message().contains("loop_wait"), p::toString);
    }

    @Test
    void parametersAreCheckedAsTheAgentsCheckThem() {
        List<ConfigError> p = ConfigPatch.problems(json("{\"postgresql\":{\"parameters\":{\"port\":5433,"
                + "\"work_mem\":{\"a\":1}}}}"));
        assertTrue(p.stream().anyMatch(e -> e.path().equals("config.postgresql.parameters.port")), p::toString);
        assertTrue(p.stream().anyMatch(e -> e.path().equals("config.postgresql.parameters.work_mem")), p::toString);
    }

    @Test
    void aHugeConfigurationIsRefused() {
        ObjectNode big = json("{}");
        big.put("padding", "x".repeat(ConfigPatch.MAX_BYTES));
        List<ConfigError> p = ConfigPatch.problems(big);
        assertEquals(1, p.size());
        assertTrue(p.get(0).message().contains("more than " + ConfigPatch.MAX_BYTES), p::toString);
    }

    @Test
    void onlyTheProblemsAnEditAddsCount() {
        ObjectNode before = json("{\"ttl\":\"abc\"}");
        assertEquals(List.of(), ConfigPatch.newProblems(before, json("{\"ttl\":\"abc\",\"pause\":true}")));
        List<ConfigError> added = ConfigPatch.newProblems(before, json("{\"ttl\":\"abc\",\"loop_wait\":\"x\"}"));
        assertEquals(1, added.size(), added::toString);
        assertEquals("config.loop_wait", added.get(0).path());
        // Another invalid value of the same key is a new problem.
        assertEquals(1, ConfigPatch.newProblems(before, json("{\"ttl\":\"def\"}")).size());
    }

    @Test
    void deepNestingIsAShapeProblem() {
        String deep = "{\"a\":".repeat(ConfigPatch.MAX_DEPTH + 2) + "1" + "}".repeat(ConfigPatch.MAX_DEPTH + 2);
        List<ConfigError> p = ConfigPatch.shapeProblems(json(deep));
        assertEquals(1, p.size(), p::toString);
        assertTrue(p.get(0).message().contains("nested more than"), p::toString);
        String ok = "{\"a\":".repeat(ConfigPatch.MAX_DEPTH) + "1" + "}".repeat(ConfigPatch.MAX_DEPTH);
        assertEquals(List.of(), ConfigPatch.shapeProblems(json(ok)));
        assertEquals(List.of(), ConfigPatch.shapeProblems(json("{\"slots\":{\"s\":{\"type\":\"physical\"}},"
                + "\"postgresql\":{\"pg_hba\":[\"host all all 0.0.0.0/0 md5\"]}}")));
    }

    @Test
    void controlCharactersInKeysAndValuesAreShapeProblems() {
        List<ConfigError> p = ConfigPatch.shapeProblems(json("{\"postgresql\":{\"parameters\":{"
                + "\"work_mem\":\"1MB\\nlisten_addresses = '*'\",\"bad\\u0000key\":1}},\"list\":[\"a\\tb\"]}"));
        assertEquals(3, p.size(), p::toString);
        assertEquals("config.postgresql.parameters.work_mem", p.get(0).path());
        assertEquals("config.postgresql.parameters.bad\\u0000key", p.get(1).path());
        assertEquals("config.list[0]", p.get(2).path());
        assertTrue(p.stream().noneMatch(e -> e.toString().chars().anyMatch(Character::isISOControl)), p::toString);
    }
}
