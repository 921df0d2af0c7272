package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgCatalog.Context;
import dev.baton.agent.postgres.PgCatalog.Setting;
import dev.baton.agent.postgres.PgCatalog.Type;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Patroni's version-aware parameters: a configuration written for another PostgreSQL version is
 * fitted to the one that runs (renamed parameters translated, removed ones dropped), replica
 * settings from recovery_conf included.
 */
class VersionAwareParametersTest {
    private static PgCatalog pg16() {
        Map<String, Setting> s = new HashMap<>();
        for (String name : List.of("wal_keep_size", "debug_parallel_query", "work_mem", "restore_command",
                "recovery_min_apply_delay", "wal_level")) {
            s.put(name, new Setting(name, Context.SIGHUP, Type.STRING, null, null));
        }
        return new PgCatalog(160000, s);
    }

    @Test
    void aPatroniConfigurationOfAnOlderVersionIsFittedTo16() {
        Map<String, String> local = new LinkedHashMap<>();
        local.put("wal_keep_segments", "8");
        local.put("force_parallel_mode", "on");
        local.put("vacuum_defer_cleanup_age", "0"); // removed in 16
        local.put("stats_temp_directory", "/run/pg_stat_tmp"); // removed in 15
        local.put("wal_level", "hot_standby"); // replica since 9.6
        var c = ReplicaCommandTest.withReplicaSettings(TestConfigs.node(Path.of("/srv/pg"), local, List.of(), List.of()),
                List.of(), Map.of("recovery_min_apply_delay", "1min", "bogus_recovery_setting", "x"));
        PgCatalog catalog = pg16();
        PgParameters.Planned p = PgParameters.plan(c, TestConfigs.dynamic(Map.of()), true,
                new PostgresController.Upstream("h", 1, "node1"), "host=h", catalog,
                PgParameterCheck.Probe.unlisted(catalog));
        Map<String, String> out = p.parameters();
        assertEquals("128MB", out.get("wal_keep_size"));
        assertFalse(out.containsKey("wal_keep_segments"));
        assertEquals("on", out.get("debug_parallel_query"));
        assertFalse(out.containsKey("force_parallel_mode"));
        assertFalse(out.containsKey("vacuum_defer_cleanup_age"));
        assertFalse(out.containsKey("stats_temp_directory"));
        assertEquals("replica", out.get("wal_level"));
        assertEquals("1min", out.get("recovery_min_apply_delay"));
        assertFalse(out.containsKey("bogus_recovery_setting"));
        String warnings = String.join("\n", p.warnings());
        for (String w : List.of("wal_keep_segments is not a parameter of PostgreSQL 16", "force_parallel_mode",
                "parameter vacuum_defer_cleanup_age", "parameter stats_temp_directory",
                "recovery_conf bogus_recovery_setting")) {
            assertTrue(warnings.contains(w), w + " in\n" + warnings);
        }
    }
}
