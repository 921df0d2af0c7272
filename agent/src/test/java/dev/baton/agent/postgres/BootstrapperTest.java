package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** initdb and pg_basebackup: their argv, and the empty directory a failure leaves. */
class BootstrapperTest {
    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();

    private Bootstrapper bootstrapper(BatonConfig config) throws IOException {
        Path data = config.postgresql().dataDir();
        return new Bootstrapper(config, FakeBinaries.in(tmp), runner, data,
                new DataDirInspector(FakeBinaries.in(tmp), runner, data), new PgConfFiles(config, data));
    }

    /** A fake program that writes into the data directory, then answers {@code result}. */
    private java.util.function.Function<FakeProcessRunner.Call, ProcessResult> writing(ProcessResult result) {
        return c -> {
            try {
                Path data = tmp.resolve("data");
                Files.createDirectories(data.resolve("base"));
                Files.writeString(data.resolve("base/1"), "x");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return result;
        };
    }

    private static long entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void initdbArgvPutsBatonsOptionsFirstAndEachOptionOnce() {
        assertEquals(List.of("/b/initdb", "-D", "/d", "--username=postgres", "--pwfile=/p", "--auth-host=scram-sha-256",
                        "--auth-local=peer", "--data-checksums", "--encoding=UTF8", "--locale=C"),
                Bootstrapper.initdbArgv("/b/initdb", Path.of("/d"), "postgres", Path.of("/p"),
                        List.of("--encoding=UTF8", "-k", "--data-checksums", "--locale=C", "--auth-local=peer")));
    }

    @Test
    void initdbWithTheConfiguredOptionsAndPgHba() throws Exception {
        BatonConfig config = TestConfigs.node(tmp, Map.of(), List.of("local all all trust"), List.of("--encoding=UTF8"));
        runner.answer(writing(FakeProcessRunner.ok("")));
        bootstrapper(config).initdb();
        List<String> argv = runner.only().argv();
        assertEquals("--encoding=UTF8", argv.get(argv.size() - 1));
        assertEquals(PgConfRenderer.HEADER + "\nlocal all all trust\n", Files.readString(tmp.resolve("data/pg_hba.conf")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".baton-pw")), "the pwfile is deleted");
        }
    }

    @Test
    void initdbRefusesADirectoryThatIsNotEmpty() throws Exception {
        Files.createDirectories(tmp.resolve("data"));
        Files.writeString(tmp.resolve("data/x"), "");
        PostgresException e = assertThrows(PostgresException.class, () -> bootstrapper(TestConfigs.node(tmp)).initdb());
        assertEquals("refusing to initdb: " + tmp.resolve("data") + " is not empty", e.getMessage());
        assertEquals(List.of(), runner.calls());
    }

    @Test
    void anInitdbThatTimesOutLeavesAnEmptyDirectory() throws Exception {
        runner.answer(writing(FakeProcessRunner.timedOut("creating subdirectories ... ok")));
        PostgresException e = assertThrows(PostgresException.class, () -> bootstrapper(TestConfigs.node(tmp)).initdb());
        assertEquals("initdb failed: creating subdirectories ... ok", e.getMessage());
        assertEquals(0, entries(tmp.resolve("data")));
    }

    @Test
    void aFailedCloneLeavesAnEmptyDirectory() throws Exception {
        runner.answer(writing(FakeProcessRunner.failed(1, "pg_basebackup: error: connection refused\n")));
        PostgresException e = assertThrows(PostgresException.class,
                () -> bootstrapper(TestConfigs.node(tmp)).basebackup("10.0.0.2", 5433));
        assertEquals("pg_basebackup from 10.0.0.2:5433 failed: pg_basebackup: error: connection refused", e.getMessage());
        assertTrue(Files.isDirectory(tmp.resolve("data")));
        assertEquals(0, entries(tmp.resolve("data")));
    }

    @Test
    void aCloneWritesTheConfiguredPgHba() throws Exception {
        runner.answer(writing(FakeProcessRunner.ok("")));
        bootstrapper(TestConfigs.node(tmp, Map.of(), List.of("host all all ::1/128 trust"), List.of()))
                .basebackup("10.0.0.2", 5433);
        assertEquals(PgConfRenderer.HEADER + "\nhost all all ::1/128 trust\n",
                Files.readString(tmp.resolve("data/pg_hba.conf")));
    }

    @Test
    void aCloneKeepsTheCopiedPgHbaWhenNoneIsConfigured() throws Exception {
        runner.answer(writing(FakeProcessRunner.ok("")));
        bootstrapper(TestConfigs.node(tmp)).basebackup("10.0.0.2", 5433);
        assertFalse(Files.exists(tmp.resolve("data/pg_hba.conf")));
    }

    @Test
    void cloneRefusesADirectoryThatIsNotEmpty() throws Exception {
        Files.createDirectories(tmp.resolve("data"));
        Files.writeString(tmp.resolve("data/x"), "");
        PostgresException e = assertThrows(PostgresException.class,
                () -> bootstrapper(TestConfigs.node(tmp)).basebackup("h", 1));
        assertEquals("refusing to clone into " + tmp.resolve("data") + ": it is not empty", e.getMessage());
        assertEquals(List.of(), runner.calls());
    }
}
