package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.PostgresConfig;
import dev.baton.config.PostgresConfig.ReplicaMethod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A custom create_replica_method's command: its argv, the password kept off it, and the directory it leaves. */
class ReplicaCommandTest {
    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();

    private ReplicaCommand command(BatonConfig config) {
        Path data = config.postgresql().dataDir();
        try {
            return new ReplicaCommand(config, runner, data, new DataDirInspector(FakeBinaries.in(tmp), runner, data),
                    new PgConfFiles(config, data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fake command that writes {@code file} into the data directory, then answers {@code result}. */
    private java.util.function.Function<FakeProcessRunner.Call, ProcessResult> writing(String file,
                                                                                        ProcessResult result) {
        return c -> {
            try {
                Path data = tmp.resolve("data");
                Files.createDirectories(data);
                Files.writeString(data.resolve(file), "15\n");
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

    private static ReplicaMethod method(boolean keepData, boolean noParams, Map<String, String> options) {
        return ReplicaMethod.custom("snap", "/opt/snap 'take it' --fast", false, keepData, noParams, options);
    }

    @Test
    void argvIsTheCommandsWordsThenPatronisArguments() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("bucket", "b 1");
        assertEquals(List.of("/opt/snap", "take it", "--fast", "--bucket=b 1", "--scope=demo", "--role=replica",
                        "--datadir=/d", "--connstring=host=h"),
                ReplicaCommand.argv(method(false, false, options), "demo", Path.of("/d"), "host=h"));
        assertEquals(List.of("/opt/snap", "take it", "--fast"),
                ReplicaCommand.argv(method(false, true, Map.of()), "demo", Path.of("/d"), "host=h"));
        assertThrows(IllegalArgumentException.class, () -> ReplicaCommand.argv(
                ReplicaMethod.custom("x", "/opt/x 'open", false, false, false, Map.of()), "s", Path.of("/d"), ""));
    }

    @Test
    void theCommandGetsTheConnstringAndThePgpassFileButNeverThePassword() throws Exception {
        runner.answer(writing("PG_VERSION", FakeProcessRunner.ok("")));
        command(TestConfigs.node(tmp)).run(method(false, false, Map.of()), "10.0.0.2", 5433);
        FakeProcessRunner.Call call = runner.only();
        String connstring = call.argv().stream().filter(a -> a.startsWith("--connstring=")).findFirst().orElseThrow();
        assertTrue(connstring.contains("host='10.0.0.2' port=5433 user='replicator'"), connstring);
        assertFalse(String.join(" ", call.argv()).contains("rep-pw"), "the password is never on the command line");
        Path pgpass = Path.of(call.env().get("PGPASSFILE"));
        assertTrue(Files.readString(pgpass).contains("10.0.0.2:5433:*:replicator:rep-pw"));
        assertTrue(connstring.contains("passfile='" + pgpass + "'"), connstring);
    }

    @Test
    void withoutALeaderTheConnstringIsEmpty() throws Exception {
        runner.answer(writing("PG_VERSION", FakeProcessRunner.ok("")));
        command(TestConfigs.node(tmp)).run(method(false, false, Map.of()), null, 0);
        assertTrue(runner.only().argv().contains("--connstring="));
    }

    @Test
    void theDirectoryIsEmptiedFirstUnlessKeepData() throws Exception {
        Files.createDirectories(tmp.resolve("data"));
        Files.writeString(tmp.resolve("data/old"), "x");
        runner.answer(writing("PG_VERSION", FakeProcessRunner.ok("")));
        command(TestConfigs.node(tmp)).run(method(true, true, Map.of()), "h", 1);
        assertTrue(Files.exists(tmp.resolve("data/old")), "keep_data");

        command(TestConfigs.node(tmp)).run(method(false, true, Map.of()), "h", 1);
        assertFalse(Files.exists(tmp.resolve("data/old")));
        assertTrue(Files.exists(tmp.resolve("data/PG_VERSION")));
    }

    @Test
    void aFailedCommandLeavesAnEmptyDirectory() throws Exception {
        runner.answer(writing("base", FakeProcessRunner.failed(3, "snap: no snapshot\n")));
        PostgresException e = assertThrows(PostgresException.class,
                () -> command(TestConfigs.node(tmp)).run(method(false, false, Map.of()), "h", 1));
        assertEquals("create_replica_method snap failed (exit code 3): snap: no snapshot", e.getMessage());
        assertEquals(0, entries(tmp.resolve("data")));
    }

    @Test
    void aCommandThatExitsZeroWithoutMakingAClusterFails() throws Exception {
        runner.answer(writing("base", FakeProcessRunner.ok("")));
        PostgresException e = assertThrows(PostgresException.class,
                () -> command(TestConfigs.node(tmp)).run(method(false, false, Map.of()), "h", 1));
        assertTrue(e.getMessage().contains("exited 0 but left no data directory"), e.getMessage());
        assertEquals(0, entries(tmp.resolve("data")));
    }

    @Test
    void basebackupTakesTheConfiguredOptionsAfterBatons() {
        assertEquals(List.of("/b/pg_basebackup", "-D", "/d", "-X", "stream", "-c", "fast", "-d", "host=h", "-w",
                        "--max-rate=100M", "--checkpoint=spread"),
                Bootstrapper.basebackupArgv("/b/pg_basebackup", Path.of("/d"), "host=h",
                        List.of("--max-rate=100M", "--checkpoint=spread")));
    }

    /** {@code c} with replica settings of its own. */
    static BatonConfig withReplicaSettings(BatonConfig c, List<String> basebackupArgs, Map<String, String> recovery) {
        PostgresConfig p = c.postgresql();
        PostgresConfig q = new PostgresConfig(p.listen(), p.connectAddress(), p.dataDir(), p.binDir(), p.pgpass(),
                p.authentication(), p.parameters(), p.pgHba(), p.callbacks(), p.removeDataDirectoryOnRewindFailure(),
                p.usePgRewind(), p.createReplicaMethods(), basebackupArgs, recovery, p.control());
        return new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(), c.bootstrap(), q,
                c.tags(), c.log(), c.watchdog(), c.aws(), c.ctl(), c.backup());
    }

    @Test
    void recoveryConfIsWrittenForAReplicaOnly() {
        BatonConfig c = withReplicaSettings(TestConfigs.node(tmp), List.of(),
                Map.of("recovery_min_apply_delay", "5min", "restore_command", "cp /a/%f %p"));
        Map<String, String> replica = PgParameters.of(c, TestConfigs.dynamic(Map.of()), true,
                new PostgresController.Upstream("h", 1, "node1"), "host=h");
        assertEquals("5min", replica.get("recovery_min_apply_delay"));
        assertEquals("cp /a/%f %p", replica.get("restore_command"));
        assertEquals("host=h", replica.get("primary_conninfo"));
        Map<String, String> primary = PgParameters.of(c, TestConfigs.dynamic(Map.of()), false, null, null);
        assertFalse(primary.containsKey("recovery_min_apply_delay"));
        assertFalse(primary.containsKey("restore_command"));
    }
}
