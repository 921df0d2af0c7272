package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DynamicConfigTest {

    @Test
    void defaultsJsonHasPatronisShape() {
        assertEquals("{\"ttl\":10,\"loop_wait\":1,\"retry_timeout\":3,\"maximum_lag_on_failover\":1048576,"
                + "\"primary_start_timeout\":10,\"synchronous_mode\":false,"
                + "\"postgresql\":{\"use_pg_rewind\":true,\"use_slots\":true,\"parameters\":{}}}",
                DynamicConfig.defaults().toJson());
    }

    @Test
    void roundTrip() throws Exception {
        DynamicConfig c = new DynamicConfig(30, 10, 10, 32L << 20, 0, false, false,
                Map.of("max_connections", "200", "wal_level", "logical"), true, true);
        String json = c.toJson();
        assertTrue(json.contains("\"pause\":true"), json);
        assertEquals(c, DynamicConfig.fromJson(json));
        assertEquals(DynamicConfig.defaults(), DynamicConfig.fromJson(DynamicConfig.defaults().toJson()));
    }

    @Test
    void synchronousModeKeys() throws Exception {
        DynamicConfig c = DynamicConfig.fromJson(
                "{\"synchronous_mode\": true, \"synchronous_mode_strict\": true, \"synchronous_node_count\": 2}");
        assertTrue(c.synchronousMode());
        assertTrue(c.strictSynchronous());
        assertEquals(2, c.synchronousNodeCount());
        assertEquals(c, DynamicConfig.fromJson(c.toJson()));
        // Strict alone does nothing, as in Patroni.
        assertEquals(false, DynamicConfig.fromJson("{\"synchronous_mode_strict\": true}").strictSynchronous());
        ConfigException e = assertThrows(ConfigException.class,
                () -> DynamicConfig.fromJson("{\"synchronous_mode\": true, \"synchronous_node_count\": 0}"));
        assertEquals(List.of(new ConfigError("config.synchronous_node_count", "must be >= 1, got 0")), e.errors());
    }

    @Test
    void maximumLagOnSyncnode() throws Exception {
        assertEquals(-1, DynamicConfig.defaults().maximumLagOnSyncnode(), "Patroni's default: off");
        assertFalse(DynamicConfig.defaults().syncnodeLagLimited());
        assertFalse(DynamicConfig.defaults().toJson().contains("maximum_lag_on_syncnode"), "the default is not written");
        DynamicConfig c = DynamicConfig.fromJson("{\"synchronous_mode\": true, \"maximum_lag_on_syncnode\": 15000000}");
        assertEquals(15_000_000, c.maximumLagOnSyncnode());
        assertTrue(c.syncnodeLagLimited());
        assertTrue(c.toJson().contains("\"maximum_lag_on_syncnode\":15000000"), c.toJson());
        assertEquals(c, DynamicConfig.fromJson(c.toJson()));
        assertEquals(16L << 20, DynamicConfig.fromJson("{\"maximum_lag_on_syncnode\": \"16MB\"}").maximumLagOnSyncnode());
        // 0 and negative values are accepted and mean off, as in Patroni.
        assertFalse(DynamicConfig.fromJson("{\"maximum_lag_on_syncnode\": 0}").syncnodeLagLimited());
        assertEquals(-5, DynamicConfig.fromJson("{\"maximum_lag_on_syncnode\": -5}").maximumLagOnSyncnode());
        ConfigException e = assertThrows(ConfigException.class,
                () -> DynamicConfig.fromJson("{\"maximum_lag_on_syncnode\": \"lots\"}"));
        assertEquals(1, e.errors().size());
        assertEquals("config.maximum_lag_on_syncnode", e.errors().get(0).path());
        // Kept through a timing change.
        assertEquals(15_000_000, c.withTiming(new Timing(20, 2, 5)).maximumLagOnSyncnode());
    }

    @Test
    void tolerantOfUnknownAndMissingKeys() throws Exception {
        String patroni = """
                {"ttl": 30, "loop_wait": 10, "retry_timeout": 10, "check_timeline": true,
                 "failsafe_mode": true, "some_future_key": {"x": 1},
                 "postgresql": {"use_pg_rewind": true, "pg_hba": ["local all all trust"],
                   "parameters": {"max_connections": 100, "hot_standby": "on", "wal_log_hints": true}}}
                """;
        DynamicConfig c = DynamicConfig.fromJson(patroni);
        assertEquals(new DynamicConfig(30, 10, 10, 1048576, 10, true, true,
                Map.of("max_connections", "100", "hot_standby", "on", "wal_log_hints", "on"), false, false)
                .withFailsafeMode(true), c);
        assertEquals(DynamicConfig.defaults(), DynamicConfig.fromJson("{}"));
        assertEquals(DynamicConfig.defaults(), DynamicConfig.fromJson(""));
        assertEquals(16L << 20, DynamicConfig.fromJson("{\"maximum_lag_on_failover\": \"16MB\"}").maximumLagOnFailover());
        assertEquals(0, DynamicConfig.fromJson("{\"master_start_timeout\": 0}").primaryStartTimeout());
    }

    @Test
    void failsafeModeIsReadWrittenAndCheckedAsPatroniDoes() throws Exception {
        assertEquals(false, DynamicConfig.defaults().failsafeMode(), "off by default");
        DynamicConfig on = DynamicConfig.fromJson("{\"failsafe_mode\": true}");
        assertEquals(true, on.failsafeMode());
        assertTrue(on.toJson().contains("\"failsafe_mode\":true"), on.toJson());
        assertEquals(on, DynamicConfig.fromJson(on.toJson()));
        assertEquals(on, on.withTiming(on.timing()).withSlots(on.slots()), "kept by the with* copies");
        assertFalse(DynamicConfig.defaults().toJson().contains("failsafe_mode"));
        ConfigException e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson("{\"failsafe_mode\": 3}"));
        assertEquals("config.failsafe_mode", e.errors().get(0).path());
    }

    @Test
    void fromJsonValidates() throws ConfigException {
        ConfigException e = assertThrows(ConfigException.class,
                () -> DynamicConfig.fromJson("{\"ttl\": 10, \"retry_timeout\": 5, \"loop_wait\": \"x\", \"pause\": 3}"));
        assertEquals(List.of(
                new ConfigError("config.loop_wait", "must be an integer, got \"x\""),
                new ConfigError("config.pause", "must be a boolean (true or false), got 3")), e.errors());

        // A broken timing rule in the key is no reason to drop it: the agents adjust the values (Timing).
        assertEquals(new Timing(10, 1, 5), DynamicConfig.fromJson("{\"ttl\": 10, \"retry_timeout\": 5}").timing());

        e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson("{\"ttl\": "));
        assertEquals("config", e.errors().get(0).path());
        assertTrue(e.getMessage().startsWith("config: not valid JSON"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson("[1]"));
        assertEquals("config: must be a JSON object, got a list", e.getMessage());
    }

    @Test
    void validateUsesThePrefix() {
        DynamicConfig bad = new DynamicConfig(1, 0, 0, -1, -1, true, true, Map.of(), false, false);
        assertEquals(List.of(
                new ConfigError("bootstrap.dcs.ttl", "must be >= 2 (etcd's minimum lease TTL), got 1"),
                new ConfigError("bootstrap.dcs.loop_wait", "must be >= 1, got 0"),
                new ConfigError("bootstrap.dcs.retry_timeout", "must be >= 1, got 0"),
                new ConfigError("bootstrap.dcs.maximum_lag_on_failover", "must be >= 0, got -1"),
                new ConfigError("bootstrap.dcs.primary_start_timeout", "must be >= 0, got -1")),
                bad.validate("bootstrap.dcs"));
        assertEquals(List.of(), DynamicConfig.defaults().validate("x"));
        DynamicConfig slow = new DynamicConfig(10, 2, 5, 0, 0, true, true, Map.of(), false, false);
        assertEquals(List.of(new ConfigError("ttl", "loop_wait + 2*retry_timeout must be <= ttl (2 + 2*5 = 12 > 10)")),
                slow.validate(""));
    }

    @Test
    void recordsAreImmutable() {
        java.util.HashMap<String, String> params = new java.util.HashMap<>(Map.of("a", "1"));
        DynamicConfig c = new DynamicConfig(10, 1, 3, 0, 0, true, true, params, false, false);
        params.put("b", "2");
        assertEquals(Map.of("a", "1"), c.parameters());
        assertThrows(UnsupportedOperationException.class, () -> c.parameters().put("c", "3"));
    }

    @Test
    void aParameterNamePostgresCannotReadIsRefusedWithItsKeyPath() throws ConfigException {
        ConfigException e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson(
                "{\"postgresql\": {\"parameters\": {\"work_mem\": \"4MB\", \"x = 1\\ninclude_dir\": \"/etc\"}}}"));
        assertTrue(e.getMessage().contains("postgresql.parameters") && e.getMessage().contains("is not a PostgreSQL parameter name"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson(
                "{\"postgresql\": {\"parameters\": {\"include_if_exists\": \"/etc/x\"}}}"));
        assertTrue(e.getMessage().contains("is a configuration file directive"), e.getMessage());
        assertEquals(Map.of("auto_explain.log_min_duration", "1s"), DynamicConfig.fromJson(
                "{\"postgresql\": {\"parameters\": {\"auto_explain.log_min_duration\": \"1s\"}}}").parameters());
    }
}
