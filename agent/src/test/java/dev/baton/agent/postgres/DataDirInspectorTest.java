package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.FakeProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the data directory holds, from its files and pg_controldata's output. */
class DataDirInspectorTest {
    static final String CONTROLDATA = """
            pg_control version number:            1300
            Database system identifier:           7311234567890123456
            Database cluster state:               shut down in recovery
            Latest checkpoint location:           0/3000060
            Latest checkpoint's TimeLineID:       2
            Bytes per WAL segment:                1048576
            """;

    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();
    private Path data;
    private DataDirInspector inspector;

    @BeforeEach
    void setUp() throws Exception {
        data = tmp.resolve("data");
        inspector = new DataDirInspector(FakeBinaries.in(tmp), runner, data);
    }

    /** Just enough of a data directory for the inspector to ask pg_controldata. */
    static void initialized(Path data) throws Exception {
        Files.createDirectories(data.resolve("global"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("global/pg_control"), "");
    }

    @Test
    void absentEmptyNotADirectoryAndForeign() throws Exception {
        assertEquals(DataDirInfo.Kind.ABSENT, inspector.inspect().kind());
        Files.createDirectories(data);
        assertEquals(DataDirInfo.Kind.EMPTY, inspector.inspect().kind());
        Files.writeString(data.resolve("notes.txt"), "mine");
        DataDirInfo foreign = inspector.inspect();
        assertEquals(DataDirInfo.invalid(data + " is not empty and is not a PostgreSQL data directory"), foreign);
        Path file = Files.writeString(tmp.resolve("file"), "");
        assertEquals(DataDirInfo.invalid(file + " exists and is not a directory"),
                new DataDirInspector(FakeBinaries.in(tmp), runner, file).inspect());
        assertEquals(List.of(), runner.calls(), "pg_controldata runs only on a data directory");
    }

    @Test
    void anInitializedDirectoryAsPgControldataDescribesIt() throws Exception {
        initialized(data);
        runner.answer("pg_controldata", FakeProcessRunner.ok(CONTROLDATA));
        assertEquals(new DataDirInfo(DataDirInfo.Kind.INITIALIZED, "7311234567890123456", "shut down in recovery", 2,
                Lsn.parse("0/3000060"), false, null), inspector.inspect());
        FakeProcessRunner.Call c = runner.only();
        assertEquals(List.of(tmp.resolve("bin/pg_controldata").toString(), "-D", data.toString()), c.argv());
        assertEquals(Map.of("LC_ALL", "C"), c.env());

        Files.writeString(data.resolve("standby.signal"), "");
        DataDirInfo standby = inspector.inspect();
        assertTrue(standby.standbySignal());
        assertFalse(standby.uncleanShutdown());
        assertFalse(standby.wasPrimary());
    }

    @Test
    void pgControldataFailing() throws Exception {
        initialized(data);
        runner.answer("pg_controldata", FakeProcessRunner.failed(1, "pg_controldata: fatal: could not open file"));
        assertEquals(DataDirInfo.invalid("pg_controldata failed on " + data + ": pg_controldata: fatal: could not open file"),
                inspector.inspect());
    }

    @Test
    void missingFieldsAreZeroOrNull() {
        assertEquals(new DataDirInfo(DataDirInfo.Kind.INITIALIZED, null, "in production", 0, 0, true, null),
                DataDirInspector.info(DataDirInspector.fields("Database cluster state: in production\n"
                        + "Latest checkpoint's TimeLineID: x\ngarbage\n"), true));
    }

    @Test
    void walSegmentSizeOrTheDefault() {
        runner.answer("pg_controldata", FakeProcessRunner.ok(CONTROLDATA));
        assertEquals(1048576, inspector.walSegmentSize());
        runner.answer("pg_controldata", FakeProcessRunner.failed(1, ""));
        assertEquals(16L * 1024 * 1024, inspector.walSegmentSize());
    }
}
