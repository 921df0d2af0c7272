package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which parameters go into postgresql.conf, in which order, and who wins. */
class PgParametersTest {
    private static final Path DIR = Path.of("/srv/pg");

    private static List<String> names(Map<String, String> p) {
        return new ArrayList<>(p.keySet());
    }

    @Test
    void defaultsThenDynamicThenLocalThenEnforcedAndAParameterKeepsItsFirstPlace() {
        Map<String, String> dynamic = new LinkedHashMap<>();
        dynamic.put("max_connections", "200");
        dynamic.put("work_mem", "8MB");
        dynamic.put("port", "1");
        Map<String, String> local = new LinkedHashMap<>();
        local.put("work_mem", "16MB");
        local.put("shared_buffers", "1GB");
        local.put("wal_level", "minimal");
        Map<String, String> p = PgParameters.of(TestConfigs.node(DIR, local, List.of(), List.of()),
                TestConfigs.dynamic(dynamic), false, null, null);
        assertEquals(List.of("max_connections", "max_wal_senders", "max_replication_slots", "wal_keep_size",
                "unix_socket_directories", "wal_retrieve_retry_interval", "work_mem", "port", "shared_buffers",
                "wal_level", "listen_addresses", "cluster_name", "hot_standby", "wal_log_hints"), names(p));
        assertEquals("200", p.get("max_connections"), "dynamic over Baton's default");
        assertEquals("16MB", p.get("work_mem"), "local over dynamic");
        assertEquals("5432", p.get("port"), "enforced over both");
        assertEquals("replica", p.get("wal_level"), "only logical is kept");
        assertEquals("127.0.0.1", p.get("listen_addresses"));
        assertEquals("demo", p.get("cluster_name"));
    }

    @Test
    void withABackupRepositoryTheArchiveParametersComeLastAndWinOverTheDynamicOnes() {
        BatonConfig c = TestConfigs.withBackup(TestConfigs.node(DIR));
        Map<String, String> p = PgParameters.of(c, TestConfigs.dynamic(Map.of("archive_mode", "off",
                "archive_command", "cp %p /tmp/%f")), false, null, null);
        List<String> names = names(p);
        assertEquals(List.of("archive_mode", "archive_command", "restore_command", "archive_timeout",
                "unix_socket_directories"), names.subList(names.size() - 5, names.size()));
        assertEquals("always", p.get("archive_mode"));
        String conf = DIR.resolve("data.pgbackrest.conf").toString();
        assertEquals("pgbackrest --config=" + conf + " --stanza=demo archive-push %p", p.get("archive_command"));
        assertEquals("pgbackrest --config=" + conf + " --stanza=demo archive-get %f \"%p\"", p.get("restore_command"));
        assertEquals("60", p.get("archive_timeout"));
        assertEquals(DIR.resolve("data.sock").toString(), p.get("unix_socket_directories"));
        Map<String, String> without = PgParameters.of(TestConfigs.node(DIR), DynamicConfig.defaults(), false, null, null);
        assertFalse(without.containsKey("archive_mode"));
        assertEquals("", without.get("unix_socket_directories"), "no socket without a repository");
    }

    @Test
    void logicalWalLevelIsKept() {
        Map<String, String> p = PgParameters.of(TestConfigs.node(DIR, Map.of("wal_level", "logical"), List.of(), List.of()),
                DynamicConfig.defaults(), false, null, null);
        assertEquals("logical", p.get("wal_level"));
    }

    @Test
    void walLogHintsFollowsTheNodesUsePgRewindOverTheClusters() {
        BatonConfig c = TestConfigs.node(DIR);
        PostgresConfig pg = c.postgresql();
        BatonConfig noRewind = new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(), c.bootstrap(),
                new PostgresConfig("*:5432", null, pg.dataDir(), null, pg.pgpass(), pg.authentication(), Map.of(),
                        List.of(), null, false, false), null, null, null, null);
        Map<String, String> p = PgParameters.of(noRewind, DynamicConfig.defaults(), false, null, null);
        assertFalse(p.containsKey("wal_log_hints"));
        assertEquals("*", p.get("listen_addresses"));
        assertEquals("on", PgParameters.of(c, DynamicConfig.defaults(), false, null, null).get("wal_log_hints"));
    }

    @Test
    void aReplicaStreamsFromItsUpstreamThroughItsSlotOnlyBatonSetsThose() {
        Map<String, String> smuggled = Map.of("primary_conninfo", "host=evil", "primary_slot_name", "evil");
        BatonConfig c = TestConfigs.node(DIR, smuggled, List.of(), List.of());
        Map<String, String> primary = PgParameters.of(c, DynamicConfig.defaults(), false, new Upstream("h", 1, "s"), "ci");
        assertFalse(primary.containsKey("primary_conninfo"));
        assertFalse(primary.containsKey("primary_slot_name"));
        assertFalse(primary.containsKey("recovery_target_timeline"));

        Map<String, String> replica = PgParameters.of(c, DynamicConfig.defaults(), true, new Upstream("h", 1, "s"), "ci");
        List<String> n = names(replica);
        assertEquals(List.of("primary_conninfo", "primary_slot_name", "recovery_target_timeline"),
                n.subList(n.size() - 3, n.size()));
        assertEquals("ci", replica.get("primary_conninfo"));
        assertEquals("s", replica.get("primary_slot_name"));
        assertEquals("latest", replica.get("recovery_target_timeline"));

        Map<String, String> noSlot = PgParameters.of(c, DynamicConfig.defaults(), true, new Upstream("h", 1, null), "ci");
        assertFalse(noSlot.containsKey("primary_slot_name"));
        DynamicConfig d = DynamicConfig.defaults();
        DynamicConfig noSlots = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), false, Map.of(), false, false);
        assertFalse(PgParameters.of(c, noSlots, true, new Upstream("h", 1, "s"), "ci").containsKey("primary_slot_name"));

        Map<String, String> following = PgParameters.of(c, DynamicConfig.defaults(), true, null, null);
        assertFalse(following.containsKey("primary_conninfo"), "a standby that follows no one yet");
        assertEquals("latest", following.get("recovery_target_timeline"));
    }

    @Test
    void bootstrapConfigIsNotRead() {
        BatonConfig c = TestConfigs.node(DIR);
        BatonConfig other = new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(),
                new BootstrapConfig(TestConfigs.dynamic(Map.of("work_mem", "1MB")), List.of(), List.of()),
                c.postgresql(), null, null, null, null);
        assertEquals(PgParameters.of(c, DynamicConfig.defaults(), false, null, null),
                PgParameters.of(other, DynamicConfig.defaults(), false, null, null));
    }

    @Test
    void replicasGetHotStandbyFeedbackWhenPermanentLogicalSlotsAreKeptOnThemAndSyncSlotsFrom17() throws Exception {
        dev.baton.config.DynamicConfig logical = dev.baton.config.DynamicConfig.fromJson(
                "{\"slots\":{\"cdc\":{\"type\":\"logical\",\"database\":\"app\",\"plugin\":\"pgoutput\"}}}");
        dev.baton.config.DynamicConfig physical = dev.baton.config.DynamicConfig.fromJson(
                "{\"slots\":{\"keep\":{\"type\":\"physical\"}}}");
        BatonConfig c = TestConfigs.node(DIR);
        PostgresController.Upstream up = new PostgresController.Upstream("10.0.0.1", 5432, "node2");
        assertEquals("on", PgParameters.of(c, logical, true, up, "host=10.0.0.1").get("hot_standby_feedback"));
        assertEquals(null, PgParameters.of(c, logical, false, null, null).get("hot_standby_feedback"), "not on a primary");
        assertEquals(null, PgParameters.of(c, physical, true, up, "host=10.0.0.1").get("hot_standby_feedback"));
        assertEquals(null, PgParameters.of(c, logical, true, up, "host=10.0.0.1").get("sync_replication_slots"));
        PgCatalog pg17 = new PgCatalog(170002, Map.of());
        assertEquals("on", PgParameters.plan(c, logical, true, up, "host=10.0.0.1", pg17,
                PgParameterCheck.Probe.unlisted(pg17)).parameters().get("sync_replication_slots"));
    }
}
