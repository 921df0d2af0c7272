package dev.baton.cli.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import dev.baton.config.PostgresConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backup and restore YAML the local cluster gives its nodes reads back as meant. */
class LocalClusterYamlTest {

    private static BatonConfig load(String bootstrapExtra, String postgresExtra, String topLevel) {
        String yaml = "scope: pitr\nname: node1\nrestapi: {listen: 127.0.0.1:8008}\netcd3: {hosts: 127.0.0.1:2379}\n"
                + "bootstrap:\n" + bootstrapExtra + "  dcs:\n    ttl: 10\n"
                + "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /tmp/baton-yaml-test/data\n" + postgresExtra
                + topLevel;
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> r.errors() + "\n" + yaml);
        return r.config();
    }

    @Test
    void aRestoreToATimeFromAnotherScopeWithAPosixRepository() {
        Instant t = Instant.parse("2026-12-04T10:15:30.123Z");
        BatonConfig c = load(LocalCluster.restoreYaml(LocalCluster.Restore.toTime("source", t)),
                "  create_replica_methods: [backup, basebackup]\n",
                LocalCluster.backupYaml(Path.of("/tmp/baton-yaml-test/repository"), 5));
        assertEquals(BootstrapConfig.Method.RESTORE, c.bootstrap().method());
        assertEquals("source", c.bootstrap().restore().fromScope());
        assertEquals(t, c.bootstrap().restore().targetTime());
        BackupConfig b = c.backup();
        assertEquals(BackupConfig.RepositoryType.POSIX, b.repository().type());
        assertEquals("/tmp/baton-yaml-test/repository", b.repository().path());
        assertEquals(5, b.archiveTimeout());
        assertEquals(List.of(PostgresConfig.ReplicaMethod.BACKUP, PostgresConfig.ReplicaMethod.BASEBACKUP),
                c.replicaMethods());
    }

    @Test
    void latestAndLsnTargets() {
        BatonConfig latest = load(LocalCluster.restoreYaml(LocalCluster.Restore.latest("source")), "",
                LocalCluster.backupYaml(Path.of("/tmp/baton-yaml-test/repository"), null));
        assertTrue(latest.bootstrap().restore().latest());
        assertEquals(BackupConfig.DEFAULT_ARCHIVE_TIMEOUT, latest.backup().archiveTimeout());
        BatonConfig lsn = load(LocalCluster.restoreYaml(new LocalCluster.Restore(null, null, "0/3000060")), "",
                LocalCluster.backupYaml(Path.of("/tmp/baton-yaml-test/repository"), 60));
        assertEquals("0/3000060", lsn.bootstrap().restore().targetLsn());
        assertEquals("", LocalCluster.restoreYaml(null));
    }

    @Test
    void optionsKeepTheirBackupSettingsThroughTheOtherWithMethods() {
        LocalCluster.Options o = LocalCluster.Options.defaults().withBackup(null, 5).withCreateReplicaMethods("backup")
                .withScope("other").withNodes(1).withHaproxy(false).withTtl(5)
                .withRestore(LocalCluster.Restore.latest("demo"));
        assertEquals("other", o.scope());
        assertTrue(o.backup().section());
        assertEquals(5, o.backup().archiveTimeout());
        assertEquals(List.of("backup"), o.backup().createReplicaMethods());
        assertEquals("demo", o.backup().restore().fromScope());
        assertEquals(null, LocalCluster.Options.defaults().backup());
    }
}
