package dev.baton.config;

import static dev.baton.config.ConfigLoaderTest.load;
import static dev.baton.config.ConfigLoaderTest.message;
import static dev.baton.config.ConfigLoaderTest.warningsByPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.PostgresConfig.ReplicaMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** postgresql.create_replica_methods with custom methods, postgresql.basebackup and postgresql.recovery_conf. */
class ReplicaSectionsTest {
    private static final String HEAD = """
            scope: demo
            name: node1
            restapi: {listen: 0.0.0.0:8008}
            etcd3: {host: 10.0.0.5:2379}
            postgresql:
              listen: '*:5432'
              data_dir: /var/lib/pg/data
            """;

    private static PostgresConfig pg(String yaml) throws ConfigException {
        return load(HEAD + yaml).orThrow().postgresql();
    }

    @Test
    void customMethodsAsPatroniWritesThem() throws ConfigException {
        PostgresConfig p = pg("""
                  create_replica_methods: [pgbackrest, wal_g, basebackup]
                  pgbackrest:
                    command: /usr/bin/pgbackrest --stanza=main --delta restore
                    keep_data: true
                    no_params: true
                    no_master: true
                  wal_g:
                    command: "wal-g backup-fetch"
                    no_leader: true
                    threshold_megabytes: 10240
                    verbose: true
                """);
        ReplicaMethod pgbackrest = p.createReplicaMethods().get(0);
        assertEquals(ReplicaMethod.Kind.CUSTOM, pgbackrest.kind());
        assertEquals("/usr/bin/pgbackrest --stanza=main --delta restore", pgbackrest.command());
        assertTrue(pgbackrest.keepData());
        assertTrue(pgbackrest.noParams());
        assertTrue(pgbackrest.noLeader(), "no_master is Patroni 3's spelling of no_leader");
        ReplicaMethod walg = p.createReplicaMethods().get(1);
        assertFalse(walg.keepData());
        assertEquals(Map.of("no_leader", "True", "threshold_megabytes", "10240", "verbose", "True"), walg.options());
        assertEquals(ReplicaMethod.BASEBACKUP, p.createReplicaMethods().get(2));
    }

    @Test
    void argumentsFollowPatroni() {
        ReplicaMethod m = ReplicaMethod.custom("walg", "wal-g", true, false, false,
                new java.util.LinkedHashMap<>(Map.of("no_leader", "True")));
        assertEquals(List.of("--no_leader=True", "--scope=demo", "--role=replica", "--datadir=/d",
                "--connstring=host='h' port=5432"), m.arguments("demo", Path.of("/d"), "host='h' port=5432"));
        java.util.Map<String, String> flags = new java.util.LinkedHashMap<>();
        flags.put("keep_data", "True");
        flags.put("no_params", "True");
        flags.put("stanza", "main");
        ReplicaMethod quiet = ReplicaMethod.custom("pgbackrest", "pgbackrest restore", true, true, true, flags);
        assertEquals(List.of("--stanza=main"), quiet.arguments("demo", Path.of("/d"), ""),
                "no_params: only the options that are not flags, as in Patroni");
    }

    @Test
    void aSectionWithoutCommandRunsTheMethodsName() throws ConfigException {
        PostgresConfig p = pg("""
                  create_replica_methods: [my_clone]
                  my_clone: {keep_data: false}
                """);
        assertEquals("my_clone", p.createReplicaMethods().get(0).command());
    }

    @Test
    void aMethodNamedBackupWithASectionIsCustom() throws ConfigException {
        PostgresConfig p = pg("""
                  create_replica_methods: [backup]
                  backup: {command: /bin/restore-it}
                """);
        assertEquals(ReplicaMethod.Kind.CUSTOM, p.createReplicaMethods().get(0).kind());
    }

    @Test
    void mistakesAreNamedByTheirKeyPath() {
        LoadResult r = load(HEAD + """
                  create_replica_methods: [nosuch, parameters, basebackup, BaseBackup]
                  wal_g:
                    command: ""
                """);
        assertTrue(message(r, "postgresql.create_replica_methods[0]").startsWith("must be backup, basebackup or a "
                + "custom method with its section postgresql.nosuch"));
        assertEquals("\"parameters\" is a key of postgresql itself, not a replica method",
                message(r, "postgresql.create_replica_methods[1]"));
        assertEquals("basebackup is listed twice", message(r, "postgresql.create_replica_methods[3]"));

        r = load(HEAD + """
                  create_replica_methods: [wal_g]
                  wal_g:
                    command: ""
                    keep_data: maybe
                    nested: {a: 1}
                    "bad key": x
                    scope: other
                """);
        assertEquals("must not be empty", message(r, "postgresql.wal_g.command"));
        assertEquals("must be a boolean (true or false), got \"maybe\"", message(r, "postgresql.wal_g.keep_data"));
        assertEquals("must be a string, number or boolean, got a map", message(r, "postgresql.wal_g.nested"));
        assertEquals("is not an option name (letters, digits, '_', '.', '-')",
                message(r, "postgresql.wal_g.bad key"));
        assertEquals("ignored: Baton passes --scope itself, as Patroni does",
                warningsByPath(r).get("postgresql.wal_g.scope"));
    }

    @Test
    void basebackupListForm() throws ConfigException {
        assertEquals(List.of("--verbose", "--max-rate=100M", "--checkpoint=spread"), pg("""
                  basebackup:
                    - verbose
                    - max-rate: 100M
                    - checkpoint: spread
                """).basebackupArgs());
    }

    @Test
    void basebackupMapForm() throws ConfigException {
        assertEquals(List.of("--max-rate=100M", "--checkpoint=fast", "--progress"), pg("""
                  basebackup:
                    max-rate: 100M
                    checkpoint: fast
                    progress: true
                    verbose: false
                """).basebackupArgs());
    }

    @Test
    void basebackupRefusesWhatBatonSetsOrWhatBreaksTheClone() {
        LoadResult r = load(HEAD + """
                  basebackup:
                    - pgdata: /elsewhere
                    - wal-method: fetch
                    - write-recovery-conf
                    - D
                    - {a: 1, b: 2}
                    - max-rate: {x: 1}
                """);
        assertEquals("--pgdata is not allowed: Baton sets it, or it would break the clone",
                message(r, "postgresql.basebackup[0].pgdata"));
        assertEquals("--wal-method is not allowed: Baton sets it, or it would break the clone",
                message(r, "postgresql.basebackup[1].wal-method"));
        assertEquals("--write-recovery-conf is not allowed: Baton sets it, or it would break the clone",
                message(r, "postgresql.basebackup[2]"));
        assertTrue(message(r, "postgresql.basebackup[3]").startsWith("must be a long option name"));
        assertEquals("must be an option name or a map of one option to its value, got a map",
                message(r, "postgresql.basebackup[4]"));
        assertEquals("must be a string or a number, got a map", message(r, "postgresql.basebackup[5].max-rate"));

        r = load(HEAD + """
                  basebackup:
                    format: tar
                """);
        assertEquals("--format is not allowed: Baton sets it, or it would break the clone",
                message(r, "postgresql.basebackup.format"));
        assertEquals("must be a list or a map of pg_basebackup options, got \"x\"",
                message(load(HEAD + "  basebackup: x\n"), "postgresql.basebackup"));
    }

    @Test
    void recoveryConf() throws ConfigException {
        LoadResult r = load(HEAD + """
                  recovery_conf:
                    restore_command: cp /archive/%f %p
                    recovery_min_apply_delay: 5min
                    primary_conninfo: host=elsewhere
                    recovery_target_time: '2026-01-01'
                    trigger_file: /tmp/promote
                """);
        assertEquals(Map.of("restore_command", "cp /archive/%f %p", "recovery_min_apply_delay", "5min"),
                r.orThrow().postgresql().recoveryConf());
        Map<String, String> w = warningsByPath(r);
        assertTrue(w.get("postgresql.recovery_conf.primary_conninfo").startsWith("ignored, as in Patroni"));
        assertTrue(w.get("postgresql.recovery_conf.recovery_target_time").startsWith("ignored, as in Patroni"));
        assertTrue(w.get("postgresql.recovery_conf.trigger_file").startsWith("ignored, as in Patroni"));

        r = load(HEAD + """
                  recovery_conf:
                    port: 5433
                    "x = 1": y
                    restore_command: [a]
                """);
        assertTrue(message(r, "postgresql.recovery_conf.port").startsWith("is set by Baton"));
        assertTrue(r.errors().stream().anyMatch(e -> e.path().equals("postgresql.recovery_conf.x = 1")));
        assertEquals("must be a string, number or boolean, got a list",
                message(r, "postgresql.recovery_conf.restore_command"));
    }

    @Test
    void recoveryConfRestoreCommandIsBatonsWithABackupRepository() {
        LoadResult r = load(HEAD + """
                  recovery_conf: {restore_command: cp /x/%f %p}
                backup:
                  repository: {type: posix, path: /var/lib/baton/backup}
                """);
        assertEquals("is set by Baton when backup.repository is configured (pgBackRest archiving); remove it",
                message(r, "postgresql.recovery_conf.restore_command"));
    }

    @Test
    void theKeysAreNoLongerUnsupported() throws ConfigException {
        LoadResult r = load(HEAD + """
                  basebackup: [verbose]
                  recovery_conf: {recovery_min_apply_delay: 0}
                """);
        Map<String, String> w = warningsByPath(r);
        assertFalse(w.containsKey("postgresql.basebackup"), w.toString());
        assertFalse(w.containsKey("postgresql.recovery_conf"), w.toString());
    }
}
