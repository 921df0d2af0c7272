package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.SlotsConfig.IgnoreSlot;
import dev.baton.config.SlotsConfig.PermanentSlot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlotsConfigTest {

    private static List<String> errorPaths(String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson(json));
        return e.errors().stream().map(ConfigError::path).toList();
    }

    @Test
    void defaultsAsPatroni4() throws Exception {
        SlotsConfig s = DynamicConfig.fromJson("{}").slots();
        assertEquals(1800, s.memberSlotsTtl(), "30 min");
        assertEquals(Map.of(), s.permanent());
        assertEquals(List.of(), s.ignore());
        assertFalse(DynamicConfig.defaults().toJson().matches(".*\"(slots|ignore_slots|member_slots_ttl)\".*"),
                "defaults are not written");
    }

    @Test
    void memberSlotsTtlTakesPatronisDurationForms() throws Exception {
        assertEquals(0, DynamicConfig.fromJson("{\"member_slots_ttl\": 0}").slots().memberSlotsTtl());
        assertEquals(600, DynamicConfig.fromJson("{\"member_slots_ttl\": 600}").slots().memberSlotsTtl());
        assertEquals(600, DynamicConfig.fromJson("{\"member_slots_ttl\": \"600\"}").slots().memberSlotsTtl());
        assertEquals(1800, DynamicConfig.fromJson("{\"member_slots_ttl\": \"30min\"}").slots().memberSlotsTtl());
        assertEquals(7200, DynamicConfig.fromJson("{\"member_slots_ttl\": \"2h\"}").slots().memberSlotsTtl());
        assertEquals(86400, DynamicConfig.fromJson("{\"member_slots_ttl\": \"1d\"}").slots().memberSlotsTtl());
        assertEquals(45, DynamicConfig.fromJson("{\"member_slots_ttl\": \"45 s\"}").slots().memberSlotsTtl());
        assertEquals(2, DynamicConfig.fromJson("{\"member_slots_ttl\": \"1500ms\"}").slots().memberSlotsTtl());
        assertEquals(List.of("config.member_slots_ttl"), errorPaths("{\"member_slots_ttl\": -1}"));
        assertEquals(List.of("config.member_slots_ttl"), errorPaths("{\"member_slots_ttl\": \"soon\"}"));
        assertEquals(List.of("config.member_slots_ttl"), errorPaths("{\"member_slots_ttl\": \"10 weeks\"}"));
    }

    @Test
    void permanentSlots() throws Exception {
        SlotsConfig s = DynamicConfig.fromJson("""
                {"slots": {"barman": {"type": "physical"}, "plain": null, "implicit": {},
                           "cdc": {"type": "logical", "database": "app db", "plugin": "pgoutput"},
                           "guessed": {"database": "postgres", "plugin": "test_decoding"}}}""").slots();
        assertEquals(Map.of("barman", PermanentSlot.physical(), "plain", PermanentSlot.physical(),
                "implicit", PermanentSlot.physical(), "cdc", PermanentSlot.logical("app db", "pgoutput"),
                "guessed", PermanentSlot.logical("postgres", "test_decoding")), s.permanent());
    }

    @Test
    void badPermanentSlotsNameTheirKeyPath() {
        assertEquals(List.of("config.slots.Bad-Name"), errorPaths("{\"slots\": {\"Bad-Name\": {\"type\": \"physical\"}}}"));
        assertEquals(List.of("config.slots." + "a".repeat(64)),
                errorPaths("{\"slots\": {\"" + "a".repeat(64) + "\": null}}"));
        assertEquals(List.of("config.slots.s.type"), errorPaths("{\"slots\": {\"s\": {\"type\": \"magic\"}}}"));
        assertEquals(List.of("config.slots.s.database", "config.slots.s.plugin"),
                errorPaths("{\"slots\": {\"s\": {\"type\": \"logical\"}}}"));
        assertEquals(List.of("config.slots.s.plugin"),
                errorPaths("{\"slots\": {\"s\": {\"type\": \"logical\", \"database\": \"d\", \"plugin\": \"a\\u0007\"}}}"));
        assertEquals(List.of("config.slots.s"),
                errorPaths("{\"slots\": {\"s\": {\"type\": \"physical\", \"database\": \"d\"}}}"));
        assertEquals(List.of("config.slots.s"), errorPaths("{\"slots\": {\"s\": 3}}"));
        assertEquals(List.of("config.slots"), errorPaths("{\"slots\": [\"s\"]}"));
    }

    @Test
    void ignoreSlotsMatchers() throws Exception {
        SlotsConfig s = DynamicConfig.fromJson("""
                {"ignore_slots": [{"name": "barman"}, {"type": "logical", "plugin": "wal2json"},
                                  {"database": "app"}]}""").slots();
        assertEquals(List.of(new IgnoreSlot("barman", null, null, null), new IgnoreSlot(null, "logical", null, "wal2json"),
                new IgnoreSlot(null, null, "app", null)), s.ignore());
        assertTrue(s.ignored("barman", "physical", null, null));
        assertTrue(s.ignored("x", "logical", "postgres", "wal2json"));
        assertFalse(s.ignored("x", "logical", "postgres", "pgoutput"));
        assertTrue(s.ignored("y", "logical", "app", "pgoutput"));
        assertFalse(s.ignored("other", "physical", null, null));
    }

    @Test
    void badIgnoreSlotsNameTheirKeyPath() {
        assertEquals(List.of("config.ignore_slots[1]"), errorPaths("{\"ignore_slots\": [{\"name\": \"a\"}, \"b\"]}"));
        assertEquals(List.of("config.ignore_slots[0]"), errorPaths("{\"ignore_slots\": [{}]}"));
        assertEquals(List.of("config.ignore_slots[0].type"),
                errorPaths("{\"ignore_slots\": [{\"type\": \"both\"}]}"));
        assertEquals(List.of("config.ignore_slots"), errorPaths("{\"ignore_slots\": {\"name\": \"a\"}}"));
    }

    @Test
    void roundTripThroughTheConfigKey() throws Exception {
        DynamicConfig c = DynamicConfig.fromJson("""
                {"member_slots_ttl": "10min", "slots": {"p": {"type": "physical"},
                 "l": {"type": "logical", "database": "postgres", "plugin": "test_decoding"}},
                 "ignore_slots": [{"name": "barman", "type": "physical"}]}""");
        assertEquals(600, c.slots().memberSlotsTtl());
        assertEquals(c, DynamicConfig.fromJson(c.toJson()));
    }

    @Test
    void aBadSlotInTheKeyKeepsTheLastGoodValue() throws Exception {
        DynamicConfig good = DynamicConfig.fromJson("{\"slots\": {\"p\": null}}");
        ConfigKeyReading r = ConfigKeyReading.of("{\"slots\": {\"p\": null, \"Q\": null}}", good, DynamicConfig.defaults());
        assertEquals(Map.of("p", PermanentSlot.physical()), r.dynamic().slots().permanent());
        assertEquals(1, r.problems().size(), r.problems().toString());
    }
}
