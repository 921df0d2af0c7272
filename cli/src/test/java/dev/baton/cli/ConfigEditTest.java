package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** edit-config's pure parts: parsing edits, applying, validating, the diff; and --scheduled. */
class ConfigEditTest {

    private static ObjectNode config() throws Exception {
        return (ObjectNode) Formats.JSON.readTree("{\"ttl\":10,\"loop_wait\":1,\"retry_timeout\":3,"
                + "\"maximum_lag_on_failover\":1048576,\"postgresql\":{\"use_pg_rewind\":true,\"use_slots\":true,"
                + "\"parameters\":{\"max_connections\":50,\"shared_buffers\":\"16MB\"}}}");
    }

    @Test
    void setReadsValuesAsYamlAndKeepsDottedParameterNamesWhole() throws Exception {
        ObjectNode after = ConfigEdit.apply(config(), List.of(
                ConfigEdit.parseSet("loop_wait=2"),
                ConfigEdit.parseSet("postgresql.use_slots=false"),
                ConfigEdit.parseSet("postgresql.parameters.pg_stat_statements.max=1000"),
                ConfigEdit.parsePg("work_mem=8MB"),
                ConfigEdit.parsePg("max_connections=200")));
        assertEquals(2, after.get("loop_wait").intValue());
        assertTrue(after.get("loop_wait").isInt());
        assertFalse(after.path("postgresql").path("use_slots").asBoolean(true));
        assertEquals(1000, after.path("postgresql").path("parameters").path("pg_stat_statements.max").intValue());
        assertEquals("8MB", after.path("postgresql").path("parameters").path("work_mem").asText());
        assertEquals(200, after.path("postgresql").path("parameters").path("max_connections").intValue());
        assertEquals(List.of(), ConfigEdit.validate(after));
    }

    @Test
    void anEmptyOrNullValueRemovesTheKey() throws Exception {
        ObjectNode after = ConfigEdit.apply(config(), List.of(ConfigEdit.parsePg("shared_buffers="),
                ConfigEdit.parseSet("maximum_lag_on_failover=null"), ConfigEdit.parseSet("no.such.key=")));
        assertFalse(after.path("postgresql").path("parameters").has("shared_buffers"));
        assertFalse(after.has("maximum_lag_on_failover"));
        assertFalse(after.has("no"));
    }

    @Test
    void applyMergesMapsAndNullRemoves() throws Exception {
        ConfigEdit.Merge m = ConfigEdit.parseDocument("ttl: 20\npostgresql:\n  parameters:\n    work_mem: 4MB\n"
                + "    max_connections: null\n", "x.yml");
        ObjectNode after = ConfigEdit.apply(config(), List.of(m));
        assertEquals(20, after.get("ttl").intValue());
        assertEquals("4MB", after.path("postgresql").path("parameters").path("work_mem").asText());
        assertEquals("16MB", after.path("postgresql").path("parameters").path("shared_buffers").asText());
        assertFalse(after.path("postgresql").path("parameters").has("max_connections"));
        assertTrue(after.path("postgresql").path("use_slots").asBoolean());
    }

    @Test
    void badValuesAreRefused() throws Exception {
        assertFalse(ConfigEdit.validate(ConfigEdit.apply(config(), List.of(ConfigEdit.parseSet("ttl=abc")))).isEmpty());
        List<String> timing = ConfigEdit.validate(ConfigEdit.apply(config(), List.of(ConfigEdit.parseSet("ttl=5"))));
        assertTrue(timing.stream().anyMatch(e -> e.contains("loop_wait + 2*retry_timeout")), timing.toString());
        assertFalse(ConfigEdit.validate(ConfigEdit.apply(config(),
                List.of(ConfigEdit.parseSet("postgresql.parameters.Work-Mem=1")))).isEmpty());
        assertFalse(ConfigEdit.validate(ConfigEdit.apply(config(), List.of(ConfigEdit.parsePg("work_mem=\"\"")))).isEmpty());
        assertFalse(ConfigEdit.validate(ConfigEdit.apply(config(), List.of(ConfigEdit.parseDocument(
                "postgresql: {parameters: {work_mem: {x: 1}}}", "x.yml")))).isEmpty(), "a parameter that is a map");
        assertEquals(2, assertThrows(ExitException.class, () -> ConfigEdit.parsePg("Bad Name=1")).code());
        assertEquals(2, assertThrows(ExitException.class, () -> ConfigEdit.parseSet("novalue")).code());
        assertEquals(2, assertThrows(ExitException.class,
                () -> ConfigEdit.apply(config(), List.of(ConfigEdit.parseSet("ttl.x=1")))).code());
    }

    @Test
    void theDiffIsUnified() throws Exception {
        ObjectNode before = config();
        ObjectNode after = ConfigEdit.apply(before, List.of(ConfigEdit.parseSet("loop_wait=2")));
        String diff = ConfigEdit.diff(ConfigEdit.yaml(before), ConfigEdit.yaml(after), "before", "after");
        assertTrue(diff.startsWith("--- before\n+++ after\n@@ "), diff);
        assertTrue(diff.contains("\n-loop_wait: 1\n+loop_wait: 2\n"), diff);
        assertEquals("", ConfigEdit.diff("a\nb\n", "a\nb\n", "x", "y"));
        assertEquals("--- x\n+++ y\n@@ -1,2 +1,3 @@\n a\n+c\n b\n", ConfigEdit.diff("a\nb\n", "a\nc\nb\n", "x", "y"));
    }

    @Test
    void yamlQuotesStringsThatWouldReadBackAsOtherTypes() throws Exception {
        ObjectNode n = (ObjectNode) Formats.JSON.readTree("{\"a\":\"on\",\"b\":\"10\",\"c\":10,\"d\":\"8MB\",\"e\":true}");
        String y = Formats.yaml(n);
        assertEquals(n, Formats.yamlMapper().readTree(y), y);
    }

    @Test
    void scheduledTimes() {
        Instant now = Instant.parse("2026-01-01T10:00:00Z");
        assertEquals(null, SwitchoverCommand.parseScheduled("now", now));
        assertEquals(Instant.parse("2026-01-01T10:05:00Z"), SwitchoverCommand.parseScheduled("2026-01-01T10:05:00Z", now));
        assertEquals(Instant.parse("2026-01-01T10:05:00Z"),
                SwitchoverCommand.parseScheduled("2026-01-01T12:05:00+02:00", now));
        assertEquals(2, assertThrows(ExitException.class, () -> SwitchoverCommand.parseScheduled("tomorrow", now)).code());
        assertEquals(2, assertThrows(ExitException.class,
                () -> SwitchoverCommand.parseScheduled("2025-01-01T10:05:00Z", now)).code());
        assertEquals("2026-01-01T10:05:00Z", SwitchoverCommand.utc(Instant.parse("2026-01-01T10:05:00Z")));
        assertEquals("2026-01-01T10:05:00.123Z", SwitchoverCommand.utc(Instant.parse("2026-01-01T10:05:00.123Z")));
    }
}
