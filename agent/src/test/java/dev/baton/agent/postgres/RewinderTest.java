package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.config.BatonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Crash recovery, pg_rewind's dry run and run, and the WAL kept before a rewind. */
class RewinderTest {
    private static final String DIVERGED = """
            pg_rewind: servers diverged at WAL location 0/3000060 on timeline 2
            pg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 2
            pg_rewind: Done!
            """;

    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();
    private Path data;
    private Path pgpass;
    private Rewinder rewinder;

    @BeforeEach
    void setUp() throws Exception {
        BatonConfig config = TestConfigs.node(tmp);
        data = config.postgresql().dataDir();
        pgpass = config.postgresql().pgpass();
        PgBinaries bin = FakeBinaries.in(tmp);
        rewinder = new Rewinder(bin, runner, data, TestConfigs.SUPERUSER, new Postmaster(data), new DataDirInspector(bin, runner, data),
                new PgConfFiles(config, data), Clock.fixed(Instant.parse("2026-12-01T10:20:30Z"), ZoneOffset.UTC));
        DataDirInspectorTest.initialized(data);
    }

    private List<String> programs() {
        return runner.calls().stream().map(FakeProcessRunner.Call::program).toList();
    }

    @Test
    void whatTheDryRunSays() {
        assertEquals(new RewindCheck(true, Lsn.parse("0/3000060"), 2, DIVERGED.strip()), Rewinder.dryRun(DIVERGED));
        assertEquals(new RewindCheck(false, 0, 0, "pg_rewind: no rewind required"),
                Rewinder.dryRun("pg_rewind: no rewind required\n"));
        assertEquals(new RewindCheck(true, 0, 0, "pg_rewind: something else"), Rewinder.dryRun("pg_rewind: something else"));
    }

    @Test
    void aCleanlyStoppedDirectoryGoesStraightToTheDryRun() throws Exception {
        runner.answer("pg_controldata", FakeProcessRunner.ok("Database cluster state: shut down\n"))
                .answer("pg_rewind", FakeProcessRunner.ok(DIVERGED));
        RewindCheck check = rewinder.checkRewind("10.0.0.2", 5433);
        assertTrue(check.needed());
        assertEquals(List.of("pg_controldata", "pg_rewind"), programs());
        FakeProcessRunner.Call dry = runner.calls().get(1);
        assertEquals(List.of(tmp.resolve("bin/pg_rewind").toString(), "-D", data.toString(), "--dry-run",
                "--source-server=host='10.0.0.2' port=5433 user='postgres' dbname='postgres' passfile='" + pgpass
                        + "' application_name='node1' connect_timeout=3"), dry.argv());
        assertEquals(pgpass.toString(), dry.env().get("PGPASSFILE"));
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n10.0.0.2:5433:*:replicator:rep-pw\n"
                + "10.0.0.2:5433:*:postgres:su-pw\n", Files.readString(pgpass),
                "pg_rewind reads the password for that server from the pgpass file");
    }

    @Test
    void aCrashedDirectoryIsRecoveredInSingleUserModeFirst() {
        runner.answer("pg_controldata", FakeProcessRunner.ok("Database cluster state: in production\n"));
        rewinder.rewind("10.0.0.2", 5433);
        assertEquals(List.of("pg_controldata", "postgres", "pg_rewind"), programs());
        assertEquals(List.of(tmp.resolve("bin/postgres").toString(), "--single", "-D", data.toString(),
                "-c", "archive_mode=off", "postgres"), runner.calls().get(1).argv());
        List<String> rewind = runner.calls().get(2).argv();
        assertEquals("--progress", rewind.get(rewind.size() - 1));
    }

    @Test
    void failures() {
        runner.answer("pg_controldata", FakeProcessRunner.ok("Database cluster state: in production\n"))
                .answer("postgres", FakeProcessRunner.timedOut("LOG:  redo starts at 0/2000028"));
        PostgresException recovery = assertThrows(PostgresException.class, () -> rewinder.rewind("h", 1));
        assertEquals("crash recovery before pg_rewind failed: LOG:  redo starts at 0/2000028", recovery.getMessage());
        assertFalse(programs().contains("pg_rewind"));

        runner.answer("postgres", FakeProcessRunner.ok(""))
                .answer("pg_rewind", FakeProcessRunner.failed(1, "pg_rewind: fatal: could not connect"));
        PostgresException dry = assertThrows(PostgresException.class, () -> rewinder.checkRewind("h", 1));
        assertEquals("pg_rewind --dry-run against h:1 failed: pg_rewind: fatal: could not connect", dry.getMessage());
        PostgresException run = assertThrows(PostgresException.class, () -> rewinder.rewind("h", 1));
        assertEquals("pg_rewind from h:1 failed: pg_rewind: fatal: could not connect", run.getMessage());
    }

    @Test
    void localWalEndIsTheHighestLsnPgWaldumpPrintsOfTheNewestSegment() throws Exception {
        assertEquals(0, rewinder.localWalEnd(), "no pg_wal");
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
        assertEquals(0, rewinder.localWalEnd(), "no segment");
        for (String n : List.of("000000010000000000000001", "000000020000000000000003", "00000002.history")) {
            Files.writeString(data.resolve("pg_wal").resolve(n), "");
        }
        runner.answer("pg_waldump", FakeProcessRunner.failed(1, """
                rmgr: XLOG len (rec/tot): 114/114, tx: 0, lsn: 0/03000028, prev 0/02000100, desc: CHECKPOINT
                rmgr: Heap len (rec/tot): 54/54, tx: 735, lsn: 0/030000A0, prev 0/03000028, desc: INSERT
                pg_waldump: error: error in WAL record at 0/30000D8: invalid record length
                """));
        assertEquals(Lsn.parse("0/30000D8"), rewinder.localWalEnd());
        FakeProcessRunner.Call c = runner.calls().get(runner.calls().size() - 1);
        assertEquals(List.of(tmp.resolve("bin/pg_waldump").toString(), "-p", data.resolve("pg_wal").toString(),
                "000000020000000000000003"), c.argv());
    }

    @ParameterizedTest
    @CsvSource({
            "000000020000000000000003, 2, 0/3000060, true",
            "000000020000000000000004, 2, 0/3000060, true",
            "000000020000000100000000, 2, 0/3000060, true",
            "000000020000000000000002, 2, 0/3000060, false",
            "000000010000000000000005, 2, 0/3000060, false",
            "00000002.history, 2, 0/0, false",
            "000000020000000000000003.partial, 2, 0/0, false",
            "0000000A0000000000000001, 10, 0/0, true"})
    void whichSegmentsAreKept(String name, int timeline, String from, boolean kept) {
        assertEquals(kept, Rewinder.keep(name, timeline, Lsn.parse(from), 16L * 1024 * 1024));
    }

    @Test
    void keepWalCopiesTheDivergedSegmentsBesideTheDataDirectory() throws Exception {
        Files.createDirectories(data.resolve("pg_wal"));
        for (String n : List.of("000000020000000000000002", "000000020000000000000003", "000000030000000000000003")) {
            Files.writeString(data.resolve("pg_wal").resolve(n), n);
        }
        runner.answer("pg_controldata", FakeProcessRunner.ok(DataDirInspectorTest.CONTROLDATA.replace("1048576", "16777216")));
        Path kept = rewinder.keepWal(2, Lsn.parse("0/3000060"));
        assertEquals(tmp.resolve("data.diverged/20261201T102030-tl2-0_3000060"), kept);
        try (Stream<Path> s = Files.list(kept)) {
            assertEquals(List.of("000000020000000000000003"), s.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals("000000020000000000000003", Files.readString(kept.resolve("000000020000000000000003")));
    }
}
