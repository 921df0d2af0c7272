package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.process.FakeProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pg_ctl's argv, its timeouts, and what counts as a failure. */
class PgCtlTest {
    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Path data;
    private Path log;
    private PgCtl pgCtl;
    private String pgCtlPath;

    @BeforeEach
    void setUp() throws Exception {
        data = tmp.resolve("data");
        log = tmp.resolve("data.log");
        pgCtl = new PgCtl(FakeBinaries.in(tmp), runner, data, log, running::get);
        pgCtlPath = tmp.resolve("bin/pg_ctl").toString();
    }

    @Test
    void start() {
        pgCtl.start(Duration.ofSeconds(30));
        FakeProcessRunner.Call c = runner.only();
        assertEquals(List.of(pgCtlPath, "start", "-D", data.toString(), "-w", "-t", "30", "-l", log.toString(), "-s"),
                c.argv());
        assertEquals(Duration.ofSeconds(40), c.timeout(), "pg_ctl gets ten seconds more than its own wait");
    }

    @Test
    void aFailedStartSaysWhyWithTheServerLogsLastLines() throws Exception {
        Files.write(log, List.of("l1", "l2", "l3", "l4", "l5", "l6", "FATAL:  could not bind"));
        runner.answer("pg_ctl", FakeProcessRunner.failed(1, "pg_ctl: could not start server\n"));
        PostgresException e = assertThrows(PostgresException.class, () -> pgCtl.start(Duration.ofSeconds(30)));
        assertEquals("pg_ctl start failed (log " + log + "): pg_ctl: could not start server\nl3\nl4\nl5\nl6\n"
                + "FATAL:  could not bind", e.getMessage());
    }

    @Test
    void aStartThatTimesOutFailsEvenWithoutALog() {
        runner.answer("pg_ctl", FakeProcessRunner.timedOut("waiting for server to start...."));
        PostgresException e = assertThrows(PostgresException.class, () -> pgCtl.start(Duration.ofMillis(200)));
        assertEquals("pg_ctl start failed (log " + log + "): waiting for server to start....", e.getMessage());
        assertEquals("1", runner.only().argv().get(6), "-t is at least one second");
    }

    @Test
    void stopOnlyWhatRuns() {
        running.set(false);
        pgCtl.stop(StopMode.FAST, Duration.ofSeconds(60));
        assertEquals(List.of(), runner.calls());

        running.set(true);
        pgCtl.stop(StopMode.FAST, Duration.ofSeconds(60));
        pgCtl.stop(StopMode.IMMEDIATE, Duration.ofSeconds(5));
        assertEquals(List.of(
                List.of(pgCtlPath, "stop", "-D", data.toString(), "-w", "-t", "60", "-m", "fast", "-s"),
                List.of(pgCtlPath, "stop", "-D", data.toString(), "-w", "-t", "5", "-m", "immediate", "-s")),
                runner.calls().stream().map(FakeProcessRunner.Call::argv).toList());
    }

    @Test
    void aFailedStopCountsOnlyIfTheServerStillRuns() {
        runner.answer(c -> {
            running.set(false);
            return FakeProcessRunner.failed(1, "pg_ctl: PID file does not exist");
        });
        pgCtl.stop(StopMode.FAST, Duration.ofSeconds(60));

        running.set(true);
        runner.answer("pg_ctl", FakeProcessRunner.timedOut("waiting for server to shut down...."));
        PostgresException e = assertThrows(PostgresException.class, () -> pgCtl.stop(StopMode.FAST, Duration.ofSeconds(60)));
        assertEquals("pg_ctl stop -m fast failed: waiting for server to shut down....", e.getMessage());
    }

    @Test
    void promoteAndReload() {
        pgCtl.signalPromote();
        pgCtl.reload();
        assertEquals(List.of(
                List.of(pgCtlPath, "promote", "-D", data.toString(), "-W", "-s"),
                List.of(pgCtlPath, "reload", "-D", data.toString(), "-s")),
                runner.calls().stream().map(FakeProcessRunner.Call::argv).toList());
        assertEquals(Duration.ofSeconds(30), runner.calls().get(0).timeout());
        assertEquals(Duration.ofSeconds(30), runner.calls().get(1).timeout());

        runner.answer("pg_ctl", FakeProcessRunner.failed(1, "pg_ctl: server is not in standby mode"));
        PostgresException p = assertThrows(PostgresException.class, pgCtl::signalPromote);
        assertEquals("pg_ctl promote failed: pg_ctl: server is not in standby mode", p.getMessage());
        PostgresException r = assertThrows(PostgresException.class, pgCtl::reload);
        assertTrue(r.getMessage().startsWith("pg_ctl reload failed: "), r.getMessage());
    }
}
