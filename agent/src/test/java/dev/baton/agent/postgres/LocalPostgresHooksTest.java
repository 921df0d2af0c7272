package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.config.BatonConfig;
import dev.baton.config.PostgresConfig;
import dev.baton.config.PostgresControl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pre_promote, before_stop and pg_ctl_timeout on the facade, with a fake process runner. */
class LocalPostgresHooksTest {
    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();

    private BatonConfig config(PostgresControl control) {
        BatonConfig c = TestConfigs.node(tmp);
        PostgresConfig p = c.postgresql();
        PostgresConfig withControl = new PostgresConfig(p.listen(), p.connectAddress(), p.dataDir(), p.binDir(), p.pgpass(),
                p.authentication(), p.parameters(), p.pgHba(), p.callbacks(), p.removeDataDirectoryOnRewindFailure(),
                p.usePgRewind(), p.createReplicaMethods(), p.basebackupArgs(), p.recoveryConf(), control);
        return new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(), c.bootstrap(), withControl,
                c.tags(), c.log(), c.watchdog(), c.aws(), c.ctl(), c.backup());
    }

    private LocalPostgres pg(PostgresControl control) throws Exception {
        return new LocalPostgres(config(control), FakeBinaries.in(tmp), runner);
    }

    private void running() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
    }

    @Test
    void prePromoteIsSplitLikeACallbackAndRunWithoutArgumentsBoundedByPgCtlTimeout() throws Exception {
        LocalPostgres pg = pg(new PostgresControl("/usr/local/bin/fence 'the old one'", null, 25, false, false));
        assertTrue(pg.hasPrePromote());
        assertNull(pg.prePromote());
        FakeProcessRunner.Call c = runner.only();
        assertEquals(List.of("/usr/local/bin/fence", "the old one"), c.argv());
        assertEquals(Map.of(), c.env(), "nothing added to the environment: no password");
        assertEquals(Duration.ofSeconds(25), c.timeout());
    }

    @Test
    void aNonZeroExitOrATimeoutIsAFailure() throws Exception {
        LocalPostgres pg = pg(new PostgresControl("/bin/fence", null, 60, false, false));
        runner.answer("fence", FakeProcessRunner.failed(3, "no\n"));
        assertEquals("the pre_promote script exited with code 3", pg.prePromote());
        runner.answer("fence", FakeProcessRunner.timedOut(""));
        assertEquals("the pre_promote script did not finish within 60 s and was killed", pg.prePromote());
    }

    @Test
    void withoutHooksNothingRuns() throws Exception {
        LocalPostgres pg = pg(PostgresControl.defaults());
        running();
        assertFalse(pg.hasPrePromote());
        assertNull(pg.prePromote());
        pg.beforeStop();
        assertEquals(List.of(), runner.calls());
        assertEquals(Duration.ofSeconds(60), pg.pgCtlTimeout());
    }

    @Test
    void beforeStopRunsOnlyWhilePostgresRunsAndItsFailureIsOnlyLogged() throws Exception {
        LocalPostgres pg = pg(new PostgresControl(null, "/bin/drain --all", 7, false, false));
        pg.beforeStop();
        assertEquals(List.of(), runner.calls(), "nothing runs: nothing to stop");
        running();
        runner.answer("drain", FakeProcessRunner.failed(1, "oops"));
        pg.beforeStop();
        pg.stop(StopMode.FAST, pg.pgCtlTimeout());
        List<List<String>> argv = runner.calls().stream().map(FakeProcessRunner.Call::argv).toList();
        assertEquals(List.of("/bin/drain", "--all"), argv.get(0));
        assertEquals("stop", argv.get(1).get(1), "then pg_ctl stop");
        assertEquals(List.of("-t", "7"), argv.get(1).subList(5, 7), "pg_ctl_timeout");
        assertEquals(Duration.ofSeconds(7), runner.calls().get(0).timeout());
    }

    @Test
    void useUnixSocketPutsTheSocketBesideTheDataDirectoryUnlessOneIsConfigured() throws Exception {
        BatonConfig c = config(new PostgresControl(null, null, 60, true, false));
        assertEquals(tmp.resolve("data.sock/.s.PGSQL.5432"), PgQueries.socketFile(c));
        assertEquals(tmp.resolve("data.sock").toString(),
                PgParameters.base(c, TestConfigs.dynamic(Map.of()), PgCatalog.unknown(),
                        PgParameterCheck.Probe.unlisted(PgCatalog.unknown()), new java.util.ArrayList<>())
                        .get("unix_socket_directories"));
    }
}
