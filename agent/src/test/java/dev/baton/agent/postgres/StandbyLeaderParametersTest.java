package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.DynamicConfig;
import dev.baton.config.StandbyCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a standby leader's postgresql.conf holds: the remote primary and the standby_cluster's recovery settings. */
class StandbyLeaderParametersTest {
    private static final Path DIR = Path.of("/srv/pg");

    @Test
    void theRemotePrimaryWithItsSlotAndRecoverySettings() {
        StandbyCluster s = new StandbyCluster("10.0.0.1", 5433, "standby_b", List.of(), "cp /arch/%f %p",
                "pg_archivecleanup /arch %r", "5min");
        DynamicConfig d = DynamicConfig.defaults().withStandbyCluster(s);
        Map<String, String> p = PgParameters.of(TestConfigs.node(DIR), d, true, Upstream.remote(s), "host=10.0.0.1 port=5433");
        assertEquals("host=10.0.0.1 port=5433", p.get("primary_conninfo"));
        assertEquals("standby_b", p.get("primary_slot_name"));
        assertEquals("cp /arch/%f %p", p.get("restore_command"));
        assertEquals("pg_archivecleanup /arch %r", p.get("archive_cleanup_command"));
        assertEquals("5min", p.get("recovery_min_apply_delay"));
        assertEquals("latest", p.get("recovery_target_timeline"));
    }

    @Test
    void withoutASlotNameNoSlotAndWithoutAHostNoConninfo() {
        StandbyCluster noSlot = StandbyCluster.of("10.0.0.1", 5432);
        DynamicConfig d = DynamicConfig.defaults().withStandbyCluster(noSlot);
        Map<String, String> p = PgParameters.of(TestConfigs.node(DIR), d, true, Upstream.remote(noSlot), "host=10.0.0.1");
        assertFalse(p.containsKey("primary_slot_name"), "Patroni: no slot on the remote unless named");
        StandbyCluster archive = new StandbyCluster(null, 5432, null, List.of(), "cp /arch/%f %p", null, null);
        Map<String, String> a = PgParameters.of(TestConfigs.node(DIR), d.withStandbyCluster(archive), true,
                Upstream.remote(archive), null);
        assertFalse(a.containsKey("primary_conninfo"));
        assertEquals("cp /arch/%f %p", a.get("restore_command"));
    }

    @Test
    void aPrimaryGetsNoneOfIt() {
        StandbyCluster s = new StandbyCluster("10.0.0.1", 5432, "b", List.of(), "cp /arch/%f %p", null, null);
        Map<String, String> p = PgParameters.of(TestConfigs.node(DIR), DynamicConfig.defaults().withStandbyCluster(s),
                false, Upstream.remote(s), "host=10.0.0.1");
        assertFalse(p.containsKey("primary_conninfo"));
        assertFalse(p.containsKey("restore_command"));
    }
}
