package dev.baton.agent.postgres;

import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The server's life cycle through {@code pg_ctl}: start, stop, promote, reload. Start and stop
 * wait ({@code -w}) at most the given timeout, and the program itself is given ten seconds more before
 * it is killed. A failure raises {@link PostgresException} with pg_ctl's last lines.
 *
 * @param logFile where the server logs ({@code pg_ctl -l})
 * @param running whether a postmaster runs for the data directory
 */
record PgCtl(PgBinaries bin, ProcessRunner runner, Path dataDir, Path logFile, BooleanSupplier running) {
    private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(30);
    /** pg_ctl only writes a file and sends a signal: it may take this long before it is killed. */
    private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(30);
    /** How much longer than its own {@code -t} pg_ctl may take before it is killed. */
    private static final long GRACE_SECONDS = 10;

    void start(Duration timeout) {
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "start", "-D", dataDir.toString(), "-w",
                "-t", seconds(timeout), "-l", logFile.toString(), "-s"), Map.of(), null, withGrace(timeout));
        if (!r.ok()) {
            throw new PostgresException("pg_ctl start failed (log " + logFile + "): " + r.tail() + logTail());
        }
    }

    /** Stops the server if it runs; a failure counts only if it still runs afterwards. */
    void stop(StopMode mode, Duration timeout) {
        if (!running.getAsBoolean()) {
            return;
        }
        String m = mode.name().toLowerCase(Locale.ROOT);
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "stop", "-D", dataDir.toString(), "-w",
                "-t", seconds(timeout), "-m", m, "-s"), Map.of(), null, withGrace(timeout));
        if (!r.ok() && running.getAsBoolean()) {
            throw new PostgresException("pg_ctl stop -m " + m + " failed: " + r.tail());
        }
    }

    /**
     * Asks the server to promote ({@code pg_ctl promote -W}) without pg_ctl's own wait, which looks
     * at the control file only every 100 ms: the caller watches for the end of recovery itself.
     */
    void signalPromote() {
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "promote", "-D", dataDir.toString(), "-W", "-s"),
                Map.of(), null, SIGNAL_TIMEOUT);
        if (!r.ok()) {
            throw new PostgresException("pg_ctl promote failed: " + r.tail());
        }
    }

    void reload() {
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "reload", "-D", dataDir.toString(), "-s"),
                RELOAD_TIMEOUT);
        if (!r.ok()) {
            throw new PostgresException("pg_ctl reload failed: " + r.tail());
        }
    }

    /** pg_ctl's {@code -t}: whole seconds, at least one. */
    private static String seconds(Duration timeout) {
        return Long.toString(Math.max(1, timeout.toSeconds()));
    }

    private static Duration withGrace(Duration timeout) {
        return timeout.plusSeconds(GRACE_SECONDS);
    }

    /** The server log's last lines, which say why it did not start (pg_ctl only says that it did not). */
    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }
}
