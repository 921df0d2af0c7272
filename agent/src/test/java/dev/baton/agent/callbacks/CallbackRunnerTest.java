package dev.baton.agent.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.callbacks.CallbackRunner.Action;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Callbacks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallbackRunnerTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Logger logger = Logger.getLogger(CallbackRunner.class.getName());
    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void captureLogs() {
        logger.addHandler(capture);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        logger.removeHandler(capture);
    }

    // ---- splitting -------------------------------------------------------------------------

    @Test
    void splitsOnWhitespace() {
        assertEquals(List.of("/usr/local/bin/cb.sh", "--flag", "x"),
                CallbackRunner.splitCommand("  /usr/local/bin/cb.sh \t--flag\n x  "));
        assertEquals(List.of(), CallbackRunner.splitCommand("   "));
        assertEquals(List.of(), CallbackRunner.splitCommand(""));
    }

    @Test
    void splitsHonouringQuotes() {
        assertEquals(List.of("/path with space/cb.sh", "--x"),
                CallbackRunner.splitCommand("'/path with space/cb.sh' --x"));
        assertEquals(List.of("/path with space/cb.sh", "--x"),
                CallbackRunner.splitCommand("\"/path with space/cb.sh\" --x"));
        // single quotes: everything literal, including backslashes and double quotes
        assertEquals(List.of("a\\b \"c\""), CallbackRunner.splitCommand("'a\\b \"c\"'"));
        // double quotes: \" and \\ are escapes, any other backslash is kept (as shlex does)
        assertEquals(List.of("say \"hi\" \\ \\$x"), CallbackRunner.splitCommand("\"say \\\"hi\\\" \\\\ \\$x\""));
        // adjacent parts form one word; '' is an empty word
        assertEquals(List.of("ab cd", "", "e"), CallbackRunner.splitCommand("a'b c'd '' e"));
        assertEquals(List.of("x\"y"), CallbackRunner.splitCommand("x'\"'y"));
    }

    @Test
    void splitsHonouringBackslashes() {
        assertEquals(List.of("/path with space/cb.sh", "it's"),
                CallbackRunner.splitCommand("/path\\ with\\ space/cb.sh it\\'s"));
    }

    @Test
    void rejectsUnbalancedQuotesAndTrailingBackslash() {
        assertThrows(IllegalArgumentException.class, () -> CallbackRunner.splitCommand("cb.sh 'oops"));
        assertThrows(IllegalArgumentException.class, () -> CallbackRunner.splitCommand("cb.sh \"oops"));
        assertThrows(IllegalArgumentException.class, () -> CallbackRunner.splitCommand("cb.sh oops\\"));
        var e = assertThrows(IllegalArgumentException.class, () -> new CallbackRunner(
                new Callbacks(null, null, "cb.sh 'x", null, null), "demo", Duration.ofSeconds(1),
                new SystemProcessRunner(), Runnable::run));
        assertTrue(e.getMessage().contains("on_role_change"), e.getMessage());
    }

    @Test
    void wireNames() {
        assertEquals("on_start", Action.ON_START.wireName());
        assertEquals("on_stop", Action.ON_STOP.wireName());
        assertEquals("on_role_change", Action.ON_ROLE_CHANGE.wireName());
        assertEquals("on_restart", Action.ON_RESTART.wireName());
        assertEquals("on_reload", Action.ON_RELOAD.wireName());
    }

    // ---- running ---------------------------------------------------------------------------

    @Test
    void passesPatronisArguments() throws Exception {
        Path out = dir.resolve("args");
        Path script = script("cb.sh", "printf '%s\\n' \"$0\" \"$@\" >> '" + out + "'");
        CallbackRunner cb = runner(new Callbacks(null, null, script.toString(), null, null), Duration.ofSeconds(10));

        cb.fire(Action.ON_ROLE_CHANGE, "primary");

        awaitTrue(() -> lines(out).size() >= 4);
        assertEquals(List.of(script.toString(), "on_role_change", "primary", "demo"), lines(out));
    }

    @Test
    void quotedCommandWithArgumentsRunsForReal() throws Exception {
        Path spaced = Files.createDirectories(dir.resolve("path with space"));
        Path out = dir.resolve("args");
        Path script = script(spaced.resolve("cb.sh"), "printf '%s\\n' \"$0\" \"$@\" >> '" + out + "'");
        CallbackRunner cb = runner(
                new Callbacks(null, null, null, null, "'" + script + "' --x"), Duration.ofSeconds(10));

        cb.fire(Action.ON_RELOAD, "replica");

        awaitTrue(() -> lines(out).size() >= 5);
        assertEquals(List.of(script.toString(), "--x", "on_reload", "replica", "demo"), lines(out));
    }

    @Test
    void fireReturnsWhileTheScriptRuns() throws Exception {
        // The script waits until the test releases it: had fire() waited for the script, it
        // could not have returned before the release, whatever the machine's speed.
        Path started = dir.resolve("started");
        Path release = dir.resolve("release");
        Path done = dir.resolve("done");
        Path script = script("slow.sh", "touch '" + started + "'; while [ ! -e '" + release + "' ]; do sleep 0.05; done; "
                + "touch '" + done + "'");
        CallbackRunner cb = runner(new Callbacks(script.toString(), null, null, null, null), Duration.ofSeconds(30));

        cb.fire(Action.ON_START, "replica");

        awaitTrue(() -> Files.exists(started));
        assertFalse(Files.exists(done));
        Files.createFile(release);
        awaitTrue(() -> Files.exists(done));
    }

    @Test
    void aLaterCallbackDoesNotKillAnEarlierOne() throws Exception {
        Path started = dir.resolve("first-started");
        Path release = dir.resolve("release");
        Path first = dir.resolve("first-done");
        Path second = dir.resolve("second-done");
        Path script = script("cb.sh",
                "if [ \"$1\" = on_role_change ]; then touch '" + started + "'; while [ ! -e '" + release + "' ]; "
                        + "do sleep 0.05; done; touch '" + first + "'; else touch '" + second + "'; fi");
        CallbackRunner cb = runner(new Callbacks(script.toString(), null, script.toString(), null, null),
                Duration.ofSeconds(15));

        cb.fire(Action.ON_ROLE_CHANGE, "primary");
        awaitTrue(() -> Files.exists(started));
        cb.fire(Action.ON_START, "primary");
        awaitTrue(() -> Files.exists(second));
        assertFalse(Files.exists(first), "the first callback still runs beside the second");
        Files.createFile(release);
        awaitTrue(() -> Files.exists(first));
        assertTrue(warnings().isEmpty(), warnings().toString());
    }

    @Test
    void aCallbackOverTheTimeoutIsKilledAndLaterOnesStillRun() throws Exception {
        Path started = dir.resolve("started");
        Path finished = dir.resolve("finished");
        Path later = dir.resolve("later");
        Path script = script("cb.sh",
                "if [ \"$1\" = on_stop ]; then touch '" + started + "'; sleep 30 && touch '" + finished + "';"
                        + " else touch '" + later + "'; fi");
        // one thread: the later callback can only run once the first has been killed. "&&": when the
        // runner kills the sleep a moment before the shell, the shell must not go on to "finish".
        ExecutorService single = Executors.newSingleThreadExecutor();
        toClose.add(single::shutdownNow);
        CallbackRunner cb = new CallbackRunner(new Callbacks(script.toString(), script.toString(), null, null, null),
                "demo", Duration.ofSeconds(1), new SystemProcessRunner(), single);
        toClose.add(cb);

        long start = System.nanoTime();
        cb.fire(Action.ON_STOP, "primary");
        cb.fire(Action.ON_START, "replica");

        awaitTrue(() -> Files.exists(later));
        assertTrue(Files.exists(started));
        assertFalse(Files.exists(finished));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
        awaitTrue(() -> warnings().stream().anyMatch(m -> m.contains("on_stop") && m.contains("killed")));
    }

    @Test
    void aFailingCallbackIsLoggedNotThrown() throws Exception {
        Path script = script("fail.sh", "echo something went wrong; exit 3");
        CallbackRunner cb = runner(new Callbacks(null, null, null, script.toString(), null), Duration.ofSeconds(10));

        cb.fire(Action.ON_RESTART, "replica");

        awaitTrue(() -> warnings().stream().anyMatch(m -> m.contains("on_restart")
                && m.contains("exited with code 3") && m.contains("something went wrong")));
    }

    @Test
    void aMissingProgramIsLoggedNotThrown() throws Exception {
        CallbackRunner cb = runner(new Callbacks(dir.resolve("nope.sh").toString(), null, null, null, null),
                Duration.ofSeconds(10));

        cb.fire(Action.ON_START, "replica");

        awaitTrue(() -> warnings().stream().anyMatch(m -> m.contains("on_start")));
    }

    @Test
    void nothingRunsWithoutACommand() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger scheduled = new AtomicInteger();
        ProcessRunner counting = (argv, env, workDir, timeout) -> {
            runs.incrementAndGet();
            return new ProcessRunner.ProcessResult(0, "", false);
        };
        CallbackRunner none = new CallbackRunner(Callbacks.none(), "demo", Duration.ofSeconds(1), counting,
                r -> { scheduled.incrementAndGet(); r.run(); });
        for (Action a : Action.values()) {
            none.fire(a, "primary");
            assertFalse(none.isConfigured(a));
            assertNull(none.argv(a, "primary"));
        }
        // blank commands count as not configured; only on_reload is
        CallbackRunner some = new CallbackRunner(new Callbacks("", "  ", null, null, "/bin/true"), "demo",
                Duration.ofSeconds(1), counting, r -> { scheduled.incrementAndGet(); r.run(); });
        some.fire(Action.ON_START, "primary");
        some.fire(Action.ON_STOP, "primary");
        some.fire(Action.ON_ROLE_CHANGE, "primary");
        assertEquals(0, runs.get());
        assertEquals(0, scheduled.get());

        some.fire(Action.ON_RELOAD, "replica");
        assertEquals(1, runs.get());
        none.close();
        some.close();
    }

    @Test
    void passesNoExtraEnvironment() {
        List<java.util.Map<String, String>> envs = new ArrayList<>();
        ProcessRunner recording = (argv, env, workDir, timeout) -> {
            envs.add(env);
            return new ProcessRunner.ProcessResult(0, "", false);
        };
        CallbackRunner cb = new CallbackRunner(new Callbacks("/bin/true", null, null, null, null), "demo",
                Duration.ofSeconds(1), recording, Runnable::run);
        cb.fire(Action.ON_START, "primary");
        assertEquals(List.of(java.util.Map.of()), envs);
    }

    @Test
    void closeWaitsForRunningCallbacksAndFireAfterCloseIsIgnored() throws Exception {
        Path done = dir.resolve("done");
        Path script = script("cb.sh", "sleep 1; touch '" + done + "'");
        CallbackRunner cb = new CallbackRunner(new Callbacks(script.toString(), null, null, null, null), "demo",
                Duration.ofSeconds(15), new SystemProcessRunner());

        cb.fire(Action.ON_START, "primary");
        cb.close();
        assertTrue(Files.exists(done), "close() should wait for the running callback");

        Files.delete(done);
        cb.fire(Action.ON_START, "primary"); // ignored, with a warning
        assertTrue(warnings().stream().anyMatch(m -> m.contains("closed")), warnings().toString());
        Thread.sleep(200);
        assertFalse(Files.exists(done));
    }

    // ---- helpers ---------------------------------------------------------------------------

    private CallbackRunner runner(Callbacks callbacks, Duration timeout) {
        CallbackRunner cb = new CallbackRunner(callbacks, "demo", timeout, new SystemProcessRunner());
        toClose.add(cb);
        return cb;
    }

    private Path script(String name, String body) throws IOException {
        return script(dir.resolve(name), body);
    }

    private static Path script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private List<String> warnings() {
        synchronized (records) {
            return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                    .map(LogRecord::getMessage).toList();
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not met within " + DEADLINE.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }
}
