package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence against stand-in processes: a "postmaster" (a shell with children of the same binary)
 * whose working directory is the data directory, as every postgres process's is.
 */
class PostgresFenceTest {
    @TempDir
    Path tmp;
    private Path dataDir;
    private final List<Process> started = new ArrayList<>();
    private final List<ProcessHandle> helpers = new ArrayList<>();

    @BeforeEach
    void linuxOnly() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        dataDir = Files.createDirectories(tmp.resolve("data"));
    }

    @AfterEach
    void cleanUp() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        helpers.forEach(ProcessHandle::destroyForcibly);
    }

    private Process start(Path cwd, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private void writePid(long pid) throws IOException {
        Files.writeString(dataDir.resolve("postmaster.pid"), pid + "\n" + dataDir + "\n1700000000\n5432\n");
    }

    private static void awaitChildren(Process p, int n) throws InterruptedException {
        Await.until("the stand-in postmaster's " + n + " descendants run", () -> p.descendants().count() >= n);
    }

    @Test
    void killsThePostmasterAndEveryProcessOfItsBinaryInTheDataDirectoryButNothingElse() throws Exception {
        // Backends run the postmaster's binary; their own children (helpers) run another one.
        Process postmaster = start(dataDir, "sh", "-c", "sh -c 'sleep 300; true' & sh -c 'sleep 300; true' & wait");
        awaitChildren(postmaster, 4);
        List<ProcessHandle> backends = postmaster.children().toList();
        helpers.addAll(postmaster.descendants().filter(p -> !backends.contains(p)).toList());
        writePid(postmaster.pid());
        // A process of the same binary in the data directory that is not (or no longer) a child.
        Process stray = start(dataDir, "sh", "-c", "read x");
        // Bystanders: another binary in the data directory, and the same binary elsewhere.
        Process otherBinary = start(dataDir, "sleep", "300");
        Process elsewhere = start(tmp, "sh", "-c", "read x");

        assertTrue(new PostgresFence(dataDir, Duration.ofSeconds(5)).fence());

        assertTrue(postmaster.waitFor(5, TimeUnit.SECONDS), "the postmaster was killed");
        assertEquals(2, backends.size());
        for (ProcessHandle b : backends) {
            assertFalse(new dev.baton.agent.postgres.Postmaster(dataDir).isLive(b), "backend " + b.pid() + " was killed");
        }
        assertTrue(stray.waitFor(5, TimeUnit.SECONDS), "the stray was killed");
        assertTrue(otherBinary.isAlive(), "another program in the data directory is left alone");
        assertTrue(elsewhere.isAlive(), "the same program elsewhere is left alone");
    }

    @Test
    void aStalePidFileNamingAnotherProcessKillsNothing() throws Exception {
        Process unrelated = start(tmp, "sleep", "300");
        writePid(unrelated.pid());
        List<String> logged = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (logged) {
                    logged.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        FencingWatchdog.LOG.addHandler(capture);
        try {
            assertTrue(new PostgresFence(dataDir).fence(), "nothing of this data directory runs: fenced");
        } finally {
            FencingWatchdog.LOG.removeHandler(capture);
        }
        // The fence says it sent no signal at all, so nothing can still be on its way to the process.
        synchronized (logged) {
            assertTrue(logged.stream().anyMatch(m -> m.contains("names process " + unrelated.pid())
                    && m.contains("not killing it (a stale file)")), logged.toString());
            assertTrue(logged.stream().anyMatch(m -> m.startsWith("nothing to fence")), logged.toString());
        }
        assertTrue(unrelated.isAlive());
    }

    @Test
    void nothingRunningIsAlreadyFenced() throws Exception {
        assertTrue(new PostgresFence(dataDir).fence(), "no postmaster.pid");
        writePid(999_999_999L);
        assertTrue(new PostgresFence(dataDir).fence(), "a dead pid");
    }
}
