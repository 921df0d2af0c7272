package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.config.BatonConfig;
import dev.baton.config.RestoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PgBackRest over a fake process runner: the commands it runs, the files it writes, what it does on failure. */
class PgBackRestTest {
    @TempDir
    Path tmp;

    private final FakeProcessRunner runner = new FakeProcessRunner();

    private BatonConfig config() {
        return PgBackRestConfTest.config("demo", tmp.resolve("data"), Map.of(), PgBackRestConfTest.POSIX);
    }

    private PgBackRest repo(Map<String, String> env) {
        return new PgBackRest(config(), runner, env, 1);
    }

    @Test
    void noRepositoryNoPgBackRest() {
        BatonConfig none = PgBackRestConfTest.config("demo", tmp.resolve("data"), Map.of(), null);
        assertThrows(IllegalArgumentException.class, () -> PgBackRest.create(none, runner));
    }

    @Test
    void everyCommandWritesThePrivateConfigFileFirstAndGetsOnlyThePassfile() throws Exception {
        PgBackRest repo = repo(Map.of());
        repo.ensureStanza();
        FakeProcessRunner.Call c = runner.only();
        Path conf = tmp.resolve("data.pgbackrest.conf");
        assertEquals(List.of("pgbackrest", "--config=" + conf, "--stanza=demo", "--log-level-console=info",
                "stanza-create"), c.argv());
        assertEquals(Map.of("PGPASSFILE", tmp.resolve(".data.pgpass").toString()), c.env());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                tmp.resolve("data.pgbackrest/lock"))));
        assertTrue(Files.readString(conf).contains("[demo]\npg1-path=" + tmp.resolve("data") + "\n"));
    }

    @Test
    void s3KeysGoIntoTheFileNeverIntoArgvOrTheEnvironment() throws Exception {
        BatonConfig s3 = PgBackRestConfTest.config("demo", tmp.resolve("data"), Map.of(), PgBackRestConfTest.S3);
        new PgBackRest(s3, runner, Map.of("AWS_ACCESS_KEY_ID", "AKIA1", "AWS_SECRET_ACCESS_KEY", "topsecret"), 1)
                .ensureStanza();
        FakeProcessRunner.Call c = runner.only();
        assertFalse(c.argv().toString().contains("topsecret") || c.env().toString().contains("topsecret"));
        assertTrue(Files.readString(tmp.resolve("data.pgbackrest.conf")).contains("repo1-s3-key-secret=topsecret\n"));
    }

    @Test
    void aFailureCarriesPgBackRestsLastLinesWithoutTheDetailLines() {
        runner.answer("pgbackrest", FakeProcessRunner.failed(56, """
                P00   INFO: stanza-create command begin 2.45
                P01 DETAIL: something per file
                ERROR: [056]: unable to find primary cluster - cannot proceed
                P00   INFO: stanza-create command end: aborted with exception [056]
                """));
        BackupException e = assertThrows(BackupException.class, () -> repo(Map.of()).ensureStanza());
        assertTrue(e.getMessage().startsWith("stanza-create for demo failed (exit 56): "), e.getMessage());
        assertTrue(e.getMessage().contains("unable to find primary cluster"), e.getMessage());
        assertFalse(e.getMessage().contains("DETAIL"), e.getMessage());
    }

    @Test
    void aBackupReportsProgressAndReturnsTheNewestListedBackup() {
        runner.answer(c -> c.argv().contains("backup")
                ? FakeProcessRunner.ok("P01 DETAIL: backup file /d/a (4KB, 50.00%) checksum x\n")
                : FakeProcessRunner.ok("P00 WARN: something\n" + PgBackRestConfTest.INFO.replace("\n", "") + "\n"));
        List<long[]> updates = new ArrayList<>();
        BackupInfo b = repo(Map.of()).backup(BackupType.DIFF, (d, t) -> updates.add(new long[] {d, t}));
        assertEquals("20261204-150000F_20261204-160000D", b.label());
        assertEquals(List.of("--stanza=demo", "--log-level-console=detail", "--type=diff", "backup"),
                runner.calls().get(0).argv().subList(2, 6));
        assertEquals(List.of("--stanza=demo", "--output=json", "--log-level-console=warn", "info"),
                runner.calls().get(1).argv().subList(2, 6));
        assertEquals(4096, updates.get(0)[0]);
        assertEquals(8192, updates.get(0)[1]);
    }

    @Test
    void listOfAnotherScopeIsCheckedAndAskedForByStanza() {
        runner.answer(c -> FakeProcessRunner.ok("[]"));
        assertEquals(List.of(), repo(Map.of()).list("prod"));
        assertEquals("--stanza=prod", runner.only().argv().get(2));
        assertThrows(IllegalArgumentException.class, () -> repo(Map.of()).list("x\n--repo1-path=/y"));
    }

    @Test
    void aRestoreRefusesANonEmptyDirectoryAndEmptiesItWhenItFails() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("PG_VERSION"), "15");
        BackupException refused = assertThrows(BackupException.class,
                () -> repo(Map.of()).restoreReplica(BackupProgress.NONE));
        assertTrue(refused.getMessage().contains("is not empty"), refused.getMessage());
        assertEquals(List.of(), runner.calls());

        Files.delete(data.resolve("PG_VERSION"));
        runner.answer(c -> {
            try {
                Files.writeString(data.resolve("half"), "x"); // a restore that wrote something, then failed
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
            return FakeProcessRunner.failed(75, "ERROR: [075]: no backup set found to restore");
        });
        BackupException e = assertThrows(BackupException.class, () -> repo(Map.of()).restoreCluster(
                new RestoreConfig("prod", Instant.parse("2026-12-03T15:00:00Z"), null), BackupProgress.NONE));
        assertTrue(e.getMessage().contains("no backup set found"), e.getMessage());
        assertTrue(e.getMessage().startsWith("a restore of prod to time 2026-12-03T15:00:00Z failed"), e.getMessage());
        try (var s = Files.list(data)) {
            assertEquals(0, s.count(), "emptied");
        }
        List<String> argv = runner.only().argv();
        assertTrue(argv.containsAll(List.of("--stanza=prod", "--type=time", "--target=2026-12-03 15:00:00.000000+00",
                "--target-action=promote", "restore")), argv::toString);
        assertTrue(Files.readString(tmp.resolve("data.pgbackrest.conf")).contains("[prod]\n"),
                "the source stanza has a section for the recovery's archive-get");
    }

    @Test
    void aStandbyRestoreIntoAMissingDirectoryCreatesItAndDropsPgBackRestsRestoreCommand() throws Exception {
        Path data = tmp.resolve("data");
        runner.answer(c -> {
            try {
                Files.writeString(data.resolve("postgresql.auto.conf"), "# Do not edit\nwork_mem = '8MB'\n"
                        + "# Recovery settings generated by pgBackRest restore on 2026-12-04 15:00:00\n"
                        + "restore_command = 'pgbackrest --stanza=demo archive-get %f \"%p\"'\n");
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
            return FakeProcessRunner.ok("P01 DETAIL: restore file /d/a (8KB, 100.00%) checksum x\n");
        });
        List<long[]> updates = new ArrayList<>();
        repo(Map.of()).restoreReplica((d, t) -> updates.add(new long[] {d, t}));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals("# Do not edit\nwork_mem = '8MB'\n", Files.readString(data.resolve("postgresql.auto.conf")));
        assertEquals(List.of("--stanza=demo", "--log-level-console=detail", "--type=standby", "restore"),
                runner.only().argv().subList(2, 6));
        assertEquals(1, updates.size());
    }

    @Test
    void clearRestoreSettingsWithoutAnAutoConfIsNothing() {
        repo(Map.of()).clearRestoreSettings();
        assertFalse(Files.exists(tmp.resolve("data/postgresql.auto.conf")));
    }

    @Test
    void theJsonLineIsFoundAfterWarnings() {
        assertEquals("[{\"a\":1}]", PgBackRest.json("P00   WARN: [123] x\n[{\"a\":1}]\n"));
        assertEquals("garbage", PgBackRest.json("garbage"));
    }
}
