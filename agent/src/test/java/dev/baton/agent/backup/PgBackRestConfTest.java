package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.Authentication;
import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import dev.baton.config.RestoreConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure half of the pgBackRest layer: the files, commands and arguments Baton writes, and what it reads back. */
class PgBackRestConfTest {
    static final BackupConfig POSIX = new BackupConfig(new BackupConfig.Repository(BackupConfig.RepositoryType.POSIX,
            "/var/lib/baton/backup", null, null, null, null, true), null, 2, 60, false, null);
    static final BackupConfig S3 = new BackupConfig(new BackupConfig.Repository(BackupConfig.RepositoryType.S3,
            "/baton", "my-bucket", "eu-west-1", "https://127.0.0.1:9443", "path", false), null, 3, 30, false,
            Path.of("/opt/pgbackrest/bin/pgbackrest"));

    static BatonConfig config(String scope, Path dataDir, Map<String, String> parameters, BackupConfig backup) {
        PostgresConfig pg = new PostgresConfig("127.0.0.1:5433", null, dataDir, null, null,
                new Authentication(new Credentials("postgres", "su-pw"), new Credentials("replicator", "rep-pw")),
                parameters, List.of(), null, false, null);
        return new BatonConfig(scope, null, "node1", null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of()), pg, null, null, null, null, null,
                backup);
    }

    static BatonConfig config(BackupConfig backup) {
        return config("demo", Path.of("/srv/pg/data"), Map.of(), backup);
    }

    @Test
    void thePosixFileHasTheRepositoryTheNodesPrivatePathsAndTheStanzaOfTheScope() {
        String conf = PgBackRestConf.conf(POSIX, PgBackRestConf.node(config(POSIX)), Map.of(), 1);
        assertEquals(PgBackRestConf.HEADER + """

                [global]
                repo1-type=posix
                repo1-path=/var/lib/baton/backup
                repo1-retention-full=2
                lock-path=/srv/pg/data.pgbackrest/lock
                log-path=/srv/pg/data.pgbackrest/log
                spool-path=/srv/pg/data.pgbackrest/spool
                log-level-file=info
                start-fast=y
                archive-mode-check=n
                process-max=1

                [demo]
                pg1-path=/srv/pg/data
                pg1-port=5433
                pg1-socket-path=/srv/pg/data.sock
                pg1-user=postgres
                """, conf);
        assertTrue(PgBackRestConf.conf(POSIX, PgBackRestConf.node(config(POSIX)), Map.of(), 8)
                .contains("process-max=2\n"), "at most 2");
        assertTrue(PgBackRestConf.conf(POSIX, PgBackRestConf.node(config(POSIX)), Map.of(), 0)
                .contains("process-max=1\n"), "at least 1");
    }

    @Test
    void pathsAreSiblingsOfTheDataDirectory() {
        Path data = Path.of("/srv/pg/data");
        assertEquals(Path.of("/srv/pg/data.pgbackrest.conf"), PgBackRestConf.confFile(data));
        assertEquals(Path.of("/srv/pg/data.pgbackrest/lock"), PgBackRestConf.lockPath(data));
        assertEquals(Path.of("/srv/pg/data.pgbackrest/log"), PgBackRestConf.logPath(data));
        assertEquals(Path.of("/srv/pg/data.sock"), PgBackRestConf.socketDir(config(POSIX)));
        assertEquals("pgbackrest", PgBackRestConf.program(POSIX));
        assertEquals("/opt/pgbackrest/bin/pgbackrest", PgBackRestConf.program(S3));
    }

    @Test
    void theOperatorsSocketDirectoryWinsAndItsFirstEntryIsPgBackRests() {
        BatonConfig c = config("demo", Path.of("/srv/pg/data"),
                Map.of("unix_socket_directories", " /run/pg , /tmp "), POSIX);
        assertEquals("/run/pg , /tmp", PgBackRestConf.unixSocketDirectories(c));
        assertEquals(Path.of("/run/pg"), PgBackRestConf.socketDir(c));
        assertEquals("/srv/pg/data.sock", PgBackRestConf.unixSocketDirectories(
                config("demo", Path.of("/srv/pg/data"), Map.of("unix_socket_directories", ""), POSIX)));
    }

    @Test
    void aSocketDirectoryTooLongForAUnixSocketIsAProblem() {
        assertEquals(Optional.empty(), PgBackRestConf.socketDirProblem(config(POSIX)));
        Path deep = Path.of("/" + "d".repeat(90) + "/data"); // its .sock sibling has 101 bytes
        Optional<String> p = PgBackRestConf.socketDirProblem(config("demo", deep, Map.of(), POSIX));
        assertTrue(p.isPresent() && p.get().contains("101 bytes long, more than 100"), p::toString);
        assertEquals(Optional.empty(), PgBackRestConf.socketDirProblem(config("demo",
                Path.of("/" + "d".repeat(89) + "/data"), Map.of(), POSIX)), "100 bytes fit");
        Optional<String> relative = PgBackRestConf.socketDirProblem(config("demo", Path.of("/srv/pg/data"),
                Map.of("unix_socket_directories", "sock"), POSIX));
        assertTrue(relative.isPresent() && relative.get().contains("absolute"), relative::toString);
    }

    @Test
    void aPrivateCaForTheS3EndpointIsPgBackRestsStorageCaFile() {
        BackupConfig.Repository r = S3.repository();
        BackupConfig withCa = new BackupConfig(new BackupConfig.Repository(r.type(), r.path(), r.bucket(), r.region(),
                r.endpoint(), r.uriStyle(), true, Path.of("/etc/baton/s3-ca.pem")), S3.schedule(), S3.retentionFull(),
                S3.archiveTimeout(), false, null);
        String conf = PgBackRestConf.conf(withCa, PgBackRestConf.node(config(withCa)), Map.of(), 1);
        assertTrue(conf.contains("repo1-storage-verify-tls=y\nrepo1-storage-ca-file=/etc/baton/s3-ca.pem\n"), conf);
        assertFalse(PgBackRestConf.conf(S3, PgBackRestConf.node(config(S3)), Map.of(), 1).contains("ca-file"));
    }

    @Test
    void s3WritesTheBucketEndpointPortTlsAndTheAgentsKeysOnlyWhenBothAreThere() {
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY", "s3cr3t/+=",
                "AWS_SESSION_TOKEN", "tok");
        String conf = PgBackRestConf.conf(S3, PgBackRestConf.node(config(S3)), env, 2);
        assertTrue(conf.contains("""
                [global]
                repo1-type=s3
                repo1-path=/baton
                repo1-s3-bucket=my-bucket
                repo1-s3-region=eu-west-1
                repo1-s3-endpoint=127.0.0.1
                repo1-storage-port=9443
                repo1-s3-uri-style=path
                repo1-storage-verify-tls=n
                repo1-s3-key-type=shared
                repo1-s3-key=AKIAEXAMPLE
                repo1-s3-key-secret=s3cr3t/+=
                repo1-s3-token=tok
                repo1-retention-full=3
                """), conf);
        String role = PgBackRestConf.conf(S3, PgBackRestConf.node(config(S3)), Map.of("AWS_ACCESS_KEY_ID", "AKIA"), 2);
        assertTrue(role.contains("repo1-s3-key-type=auto\n"), role);
        assertFalse(role.contains("repo1-s3-key="), "a key without its secret is not written");
        assertFalse(role.contains("AKIA"));
    }

    @Test
    void theEndpointIsSplitIntoHostAndPort() {
        assertEquals(new PgBackRestConf.Endpoint("s3.eu-west-1.amazonaws.com", 0),
                PgBackRestConf.endpoint(null, "eu-west-1"));
        assertEquals(new PgBackRestConf.Endpoint("minio.local", 0), PgBackRestConf.endpoint("https://minio.local/", "x"));
        assertEquals(new PgBackRestConf.Endpoint("minio.local", 9000), PgBackRestConf.endpoint("minio.local:9000", "x"));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.endpoint("host:port", "x"));
    }

    @Test
    void aLineBreakInAnyValueIsRefusedAndASecretIsNeverInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.conf(S3,
                PgBackRestConf.node(config(S3)), Map.of("AWS_ACCESS_KEY_ID", "AKIA",
                        "AWS_SECRET_ACCESS_KEY", "secret\n[global]\nrepo1-path=/evil"), 1));
        assertTrue(e.getMessage().contains("repo1-s3-key-secret"), e.getMessage());
        assertFalse(e.getMessage().contains("secret\n") || e.getMessage().contains("evil"), e.getMessage());
        BackupConfig badPath = new BackupConfig(new BackupConfig.Repository(BackupConfig.RepositoryType.POSIX,
                "/backup\nrepo1-type=s3", null, null, null, null, true), null, 2, 60, false, null);
        assertThrows(IllegalArgumentException.class,
                () -> PgBackRestConf.conf(badPath, PgBackRestConf.node(config(badPath)), Map.of(), 1));
        BatonConfig badDir = config("demo", Path.of("/srv/pg/da\nta"), Map.of(), POSIX);
        assertThrows(IllegalArgumentException.class,
                () -> PgBackRestConf.conf(POSIX, PgBackRestConf.node(badDir), Map.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.option("k", " padded"));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.option("k", ""));
    }

    @Test
    void aScopeThatIsNoStanzaNameIsRefusedEverywhere() {
        for (String scope : List.of("de mo", "demo]\n[global", "x;rm -rf /", "'q'", "", "-leading", "a\u0000")) {
            assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.checkScope(scope), scope);
            BatonConfig c = config(scope, Path.of("/srv/pg/data"), Map.of(), POSIX);
            assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.conf(POSIX, PgBackRestConf.node(c),
                    Map.of(), 1), scope);
            assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.archiveCommand("pgbackrest",
                    Path.of("/c"), scope), scope);
            assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.restoreArgs(scope, null), scope);
            assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.restoreStandbyArgs(scope), scope);
        }
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.checkScope(null));
        assertEquals("my_scope-1.a", PgBackRestConf.checkScope("my_scope-1.a"));
    }

    @Test
    void aSourceScopeGetsItsOwnSectionWithTheSameNodeSettings() {
        BatonConfig c = config("clone", Path.of("/srv/pg/data"), Map.of(), POSIX);
        String conf = PgBackRestConf.conf(POSIX, PgBackRestConf.node(c, "prod", null, "clone"), Map.of(), 1);
        assertTrue(conf.contains("[clone]\npg1-path=/srv/pg/data\n"), conf);
        assertTrue(conf.contains("[prod]\npg1-path=/srv/pg/data\npg1-port=5433\n"), conf);
        assertEquals(conf.indexOf("[clone]"), conf.lastIndexOf("[clone]"), "the own scope once");
        BatonConfig restoring = new BatonConfig("clone", null, "n", null, null, new BootstrapConfig(
                DynamicConfig.defaults(), List.of(), List.of(), BootstrapConfig.Method.RESTORE,
                new RestoreConfig("prod", null, null)), c.postgresql(), null, null, null, null, null, POSIX);
        assertEquals(List.of("prod"), PgBackRestConf.node(restoring).sourceScopes());
    }

    @Test
    void archiveAndRestoreCommandsQuotePathsForTheShellAndEscapePercent() {
        assertEquals("pgbackrest --config=/srv/pg/data.pgbackrest.conf --stanza=demo archive-push %p",
                PgBackRestConf.archiveCommand("pgbackrest", Path.of("/srv/pg/data.pgbackrest.conf"), "demo"));
        assertEquals("pgbackrest --config=/srv/pg/data.pgbackrest.conf --stanza=demo archive-get %f \"%p\"",
                PgBackRestConf.restoreCommand("pgbackrest", Path.of("/srv/pg/data.pgbackrest.conf"), "demo"));
        assertEquals("'/opt/my tools/pgbackrest' '--config=/srv/it'\\''s 100%%/d.conf' --stanza=demo archive-push %p",
                PgBackRestConf.archiveCommand("/opt/my tools/pgbackrest", Path.of("/srv/it's 100%/d.conf"), "demo"));
        assertEquals("'$(reboot)'", PgBackRestConf.shellQuote("$(reboot)"));
        assertEquals("'a;b`c`'", PgBackRestConf.shellQuote("a;b`c`"));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.archiveCommand("pgbackrest",
                Path.of("/srv/x\ny"), "demo"));
    }

    @Test
    void theParametersBatonSetsWithARepository() {
        Map<String, String> p = PgBackRestConf.parameters(config(S3));
        assertEquals(List.of("archive_mode", "archive_command", "restore_command", "archive_timeout",
                "unix_socket_directories"), new ArrayList<>(p.keySet()));
        assertEquals("always", p.get("archive_mode"));
        assertEquals("/opt/pgbackrest/bin/pgbackrest --config=/srv/pg/data.pgbackrest.conf --stanza=demo "
                + "archive-push %p", p.get("archive_command"));
        assertTrue(p.get("restore_command").endsWith("--stanza=demo archive-get %f \"%p\""));
        assertEquals("30", p.get("archive_timeout"));
        assertEquals("/srv/pg/data.sock", p.get("unix_socket_directories"));
    }

    @Test
    void timesAreConvertedToPgBackRestsFormat() {
        assertEquals("2026-12-03 15:00:00.000000+00", PgBackRestConf.time(Instant.parse("2026-12-03T15:00:00Z")));
        assertEquals("2026-12-03 14:00:01.123456+00",
                PgBackRestConf.time(Instant.parse("2026-12-03T15:00:01.123456789+01:00")));
    }

    @Test
    void restoreArgumentsForStandbyLatestTimeAndLsn() {
        assertEquals(List.of("--stanza=demo", "--log-level-console=detail", "--type=standby", "restore"),
                PgBackRestConf.restoreStandbyArgs("demo"));
        assertEquals(List.of("--stanza=prod", "--log-level-console=detail", "--type=default", "restore"),
                PgBackRestConf.restoreArgs("prod", new RestoreConfig("prod", null, null)));
        assertEquals(List.of("--stanza=prod", "--log-level-console=detail", "--type=time",
                "--target=2026-12-03 15:00:00.000000+00", "--target-action=promote", "restore"),
                PgBackRestConf.restoreArgs("prod", new RestoreConfig(null, Instant.parse("2026-12-03T15:00:00Z"),
                        null)));
        assertEquals(List.of("--stanza=prod", "--log-level-console=detail", "--type=lsn", "--target=0/3000060",
                "--target-action=promote", "restore"),
                PgBackRestConf.restoreArgs("prod", new RestoreConfig(null, null, "0/3000060")));
        assertThrows(IllegalArgumentException.class,
                () -> PgBackRestConf.restoreArgs("prod", new RestoreConfig(null, null, "0/1 --delta")));
    }

    @Test
    void restoreSettingsAreStrippedAndEverythingElseKept() {
        String auto = """
                # Do not edit this file manually!
                # It will be overwritten by the ALTER SYSTEM command.
                synchronous_standby_names = 'x'

                # Recovery settings generated by pgBackRest restore on 2026-12-04 15:00:00
                restore_command = 'pgbackrest --config=/c --stanza=prod archive-get %f "%p"'
                recovery_target_time = '2026-12-03 15:00:00+00'
                recovery_target_action = 'promote'
                archive_mode = 'off'
                archive_timeout = '10'
                """;
        assertEquals("""
                # Do not edit this file manually!
                # It will be overwritten by the ALTER SYSTEM command.
                synchronous_standby_names = 'x'

                archive_timeout = '10'
                """, PgBackRestConf.stripRestoreSettings(auto));
        assertEquals("a = 1", PgBackRestConf.stripRestoreSettings("a = 1"));
        assertEquals("", PgBackRestConf.stripRestoreSettings(""));
    }

    static final String INFO = """
            [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000000000006",
            "min":"000000010000000000000003"}],
            "backup":[{"archive":{"start":"000000010000000000000003","stop":"000000010000000000000003"},
            "backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,
            "info":{"delta":23417855,"repository":{"delta":3023442,"size":3023442},"size":23417855},
            "label":"20261204-150000F","link":null,"lsn":{"start":"0/3000028","stop":"0/3000100"},
            "prior":null,"reference":null,"tablespace":null,
            "timestamp":{"start":1764860400,"stop":1764860403},"type":"full"},
            {"archive":{"start":"000000010000000000000005","stop":"000000010000000000000005"},
            "info":{"size":23417855,"repository":{"size":1000}},"label":"20261204-150000F_20261204-160000D",
            "lsn":{"start":"0/5000028","stop":"0/5000100"},"timestamp":{"start":1764864000,"stop":1764864002},
            "type":"diff"}],
            "cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7310000000000000000,"version":"15"}],
            "name":"demo","repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],
            "status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]
            """;

    @Test
    void infoJsonBecomesBackupInfosOldestFirst() {
        List<BackupInfo> list = PgBackRestConf.parseInfo(INFO, "demo");
        assertEquals(2, list.size());
        BackupInfo full = list.get(0);
        assertEquals(new BackupInfo("20261204-150000F", BackupType.FULL, Instant.ofEpochSecond(1764860400),
                Instant.ofEpochSecond(1764860403), "000000010000000000000003", "000000010000000000000003",
                23417855, 3023442, "0/3000028", "0/3000100"), full);
        assertEquals(BackupType.DIFF, list.get(1).type());
        assertEquals("2025-12-04T15:00:00Z", full.toJson().get("start"));
        assertEquals(List.of(), PgBackRestConf.parseInfo(INFO, "other"), "another stanza's backups are not ours");
    }

    @Test
    void aMissingStanzaOrAnEmptyListIsNoBackup() {
        assertEquals(List.of(), PgBackRestConf.parseInfo("[]", "demo"));
        assertEquals(List.of(), PgBackRestConf.parseInfo("""
                [{"archive":[],"backup":[],"cipher":"none","db":[],"name":"demo","repo":[{"cipher":"none","key":1,
                "status":{"code":1,"message":"missing stanza path"}}],"status":{"code":1,"lock":{"backup":
                {"held":false}},"message":"missing stanza path"}}]
                """, "demo"));
        assertEquals(List.of(), PgBackRestConf.parseInfo("[{\"name\":\"demo\",\"status\":{\"code\":1}}]", "demo"));
        BackupInfo sparse = PgBackRestConf.parseInfo("[{\"name\":\"demo\",\"backup\":[{\"label\":\"L\",\"type\":\"incr\"}]}]",
                "demo").get(0);
        assertNull(sparse.start());
        assertNull(sparse.lsnStart());
        assertEquals(0, sparse.sizeBytes());
    }

    @Test
    void garbageIsABackupExceptionThatShowsItSafely() {
        for (String garbage : List.of("", "ERROR: [055]: unable to load info file", "{\"a\":1}", "[1, 2]",
                "[{\"name\":\"demo\",\"backup\":{}}]", "[{\"name\":\"demo\",\"backup\":[{\"type\":\"full\"}]}]",
                "[{\"name\":\"demo\",\"backup\":[{\"label\":\"x\",\"type\":\"weird\"}]}]", "[{", "null")) {
            BackupException e = assertThrows(BackupException.class, () -> PgBackRestConf.parseInfo(garbage, "demo"),
                    garbage);
            assertTrue(e.getMessage().startsWith("pgbackrest info"), e.getMessage());
        }
        BackupException e = assertThrows(BackupException.class,
                () -> PgBackRestConf.parseInfo("oops\n\u001b[2J", "demo"));
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u001b"), e.getMessage());
        assertThrows(BackupException.class, () -> PgBackRestConf.parseInfo(null, "demo"));
    }

    @Test
    void progressLinesGiveTheFilesSizeAndTheShareDone() {
        assertEquals(Optional.of(new PgBackRestConf.FileProgress(8192, 45.67)), PgBackRestConf.parseProgress(
                "P01 DETAIL: backup file /srv/pg/data/base/1/1249 (8KB, 45.67%) checksum 0123abcd"));
        assertEquals(Optional.of(new PgBackRestConf.FileProgress(Math.round(1.5 * 1024 * 1024), 100.0)),
                PgBackRestConf.parseProgress("P00 DETAIL: restore file /d/base/5/16384 (1.5MB, 100.00%) checksum x"));
        assertEquals(Optional.of(new PgBackRestConf.FileProgress(0, 0.0)),
                PgBackRestConf.parseProgress("P01 DETAIL: backup file /d/pg_logical/replorigin_checkpoint (0B, 0.00%)"));
        assertEquals(Optional.of(new PgBackRestConf.FileProgress(16 * 1024, 12.5)),
                PgBackRestConf.parseProgress("P01 DETAIL: backup file /d/x (bundle 1/128, 16KB, 12.50%) checksum y"));
        assertEquals(Optional.of(new PgBackRestConf.FileProgress(2L << 30, 99.0)),
                PgBackRestConf.parseProgress("P01 DETAIL: backup file /d/x (2GB->1GB, 99.00%) checksum y"));
        assertEquals(Optional.empty(), PgBackRestConf.parseProgress("P00   INFO: backup start archive = 0000"));
        assertEquals(Optional.empty(), PgBackRestConf.parseProgress("P01 DETAIL: match file from prior backup"));
        assertEquals(Optional.empty(), PgBackRestConf.parseProgress("(8KB, 145.00%)"));
        assertEquals(Optional.empty(), PgBackRestConf.parseProgress(null));
    }

    @Test
    void theTrackerSumsSizesAndDerivesTheTotal() {
        List<long[]> updates = new ArrayList<>();
        PgBackRestConf.ProgressTracker t = new PgBackRestConf.ProgressTracker((d, tot) -> updates.add(new long[] {d, tot}));
        t.accept("P01 DETAIL: backup file /d/a (1KB, 0.00%) checksum x");
        t.accept("P00   INFO: something else");
        t.accept("P01 DETAIL: backup file /d/b (3KB, 50.00%) checksum x");
        t.accept("P01 DETAIL: backup file /d/c (4KB, 100.00%) checksum x");
        assertEquals(3, updates.size());
        assertEquals(1024, updates.get(0)[0]);
        assertEquals(0, updates.get(0)[1], "unknown total while 0%");
        assertEquals(4096, updates.get(1)[0]);
        assertEquals(8192, updates.get(1)[1]);
        assertEquals(8192, updates.get(2)[0]);
        assertEquals(8192, updates.get(2)[1]);
        new PgBackRestConf.ProgressTracker(null).accept("P01 DETAIL: backup file /d/a (1KB, 1.00%)");
    }
}
