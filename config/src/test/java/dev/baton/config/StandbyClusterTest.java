package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code standby_cluster} in the config key and bootstrap.dcs, checked as Patroni's validator does. */
class StandbyClusterTest {

    private static List<String> errors(String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson(json));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void readsEveryPatroniKeyAndWritesThemBack() throws Exception {
        DynamicConfig d = DynamicConfig.fromJson("{\"standby_cluster\": {\"host\": \"10.0.0.1\", \"port\": 5433, "
                + "\"primary_slot_name\": \"standby_b\", \"create_replica_methods\": [\"basebackup\"], "
                + "\"restore_command\": \"cp /arch/%f %p\", \"archive_cleanup_command\": \"pg_archivecleanup /arch %r\", "
                + "\"recovery_min_apply_delay\": \"5min\"}}");
        StandbyCluster s = d.standbyCluster();
        assertTrue(d.isStandbyCluster());
        assertEquals(new StandbyCluster("10.0.0.1", 5433, "standby_b", List.of("basebackup"), "cp /arch/%f %p",
                "pg_archivecleanup /arch %r", "5min"), s);
        assertEquals("10.0.0.1:5433", s.hostPort());
        assertEquals(Map.of("restore_command", "cp /arch/%f %p", "archive_cleanup_command", "pg_archivecleanup /arch %r",
                "recovery_min_apply_delay", "5min"), s.recoverySettings());
        assertEquals(d, DynamicConfig.fromJson(d.toJson()), "the config key round-trips");
    }

    @Test
    void portDefaultsTo5432AndAnAbsentOrEmptySectionIsAPrimaryCluster() throws Exception {
        assertEquals(5432, DynamicConfig.fromJson("{\"standby_cluster\": {\"host\": \"a\"}}").standbyCluster().port());
        assertNull(DynamicConfig.fromJson("{}").standbyCluster());
        assertNull(DynamicConfig.fromJson("{\"standby_cluster\": {}}").standbyCluster(), "Patroni: no host, port "
                + "or restore_command is no standby cluster");
        assertNull(DynamicConfig.fromJson("{\"standby_cluster\": null}").standbyCluster());
        assertFalse(DynamicConfig.defaults().toJson().contains("standby_cluster"));
    }

    @Test
    void restoreCommandAloneIsAStandbyClusterOfTheArchive() throws Exception {
        StandbyCluster s = DynamicConfig.fromJson("{\"standby_cluster\": {\"restore_command\": \"cp /a/%f %p\"}}")
                .standbyCluster();
        assertNull(s.host());
        assertNull(s.hostPort());
        assertEquals("the archive (restore_command)", s.describe());
    }

    @Test
    void badValuesAreErrorsNamingTheirPath() {
        assertEquals(List.of("config.standby_cluster.port: must be between 1 and 65535, got 70000"),
                errors("{\"standby_cluster\": {\"host\": \"a\", \"port\": 70000}}"));
        assertEquals(List.of("config.standby_cluster.port: must be an integer, got \"x\""),
                errors("{\"standby_cluster\": {\"host\": \"a\", \"port\": \"x\"}}"));
        assertTrue(errors("{\"standby_cluster\": {\"host\": \"a\", \"primary_slot_name\": \"Bad-Name\"}}").get(0)
                .startsWith("config.standby_cluster.primary_slot_name: must be 1 to 63 of a-z, 0-9 and _"));
        assertTrue(errors("{\"standby_cluster\": {\"port\": 5433}}").get(0)
                .startsWith("config.standby_cluster.host: must be given (or restore_command)"));
        assertTrue(errors("{\"standby_cluster\": {\"host\": \"a b\"}}").get(0)
                .startsWith("config.standby_cluster.host: must not contain spaces"));
        assertEquals(List.of("config.standby_cluster: must be a map, got \"x\""),
                errors("{\"standby_cluster\": \"x\"}"));
    }

    @Test
    void unknownKeysOfTheSectionWarn() {
        Issues issues = new Issues();
        DynamicConfig.read(new ConfigNode(parse("{\"standby_cluster\": {\"host\": \"a\", \"hots\": 1}}"), "config", issues));
        assertTrue(issues.errors().isEmpty());
        assertTrue(issues.warnings().stream().anyMatch(w -> w.toString().contains("config.standby_cluster.hots")),
                () -> issues.warnings().toString());
    }

    @Test
    void editConfigValidationRefusesABadSection() {
        DynamicConfig bad = DynamicConfig.defaults().withStandbyCluster(new StandbyCluster("h", 0, null, List.of(), null,
                null, null));
        assertEquals(List.of(new ConfigError("config.standby_cluster.port", "must be between 1 and 65535, got 0")),
                bad.validate("config"));
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
