package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's side: lazy start, the lines it writes, restart after a death, never blocking the loop. */
class ProcessWatchdogIT {
    private static final long MS = 1_000_000L;

    @TempDir
    Path tmp;

    /** A child that appends what it reads to {@code file} and exits at the end of its input. */
    private ProcessWatchdog.Launcher recorder(Path file) {
        return () -> new ProcessBuilder("sh", "-c", "exec cat >> '" + file + "'")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void await(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void noChildUntilTheFirstArmThenArmDisarmAndExitLines() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ZERO);
        wd.disarm();
        wd.disarm();
        Thread.sleep(100);
        assertTrue(wd.process().isEmpty(), "a replica never starts a watchdog");

        long deadline = System.nanoTime() + 4_000 * MS;
        wd.arm(deadline);
        await("the arm line", () -> lines(file).size() == 1);
        String[] arm = lines(file).get(0).split(" ");
        assertEquals("arm", arm[0]);
        long remaining = Long.parseLong(arm[1]);
        assertTrue(remaining > 3_000 && remaining <= 4_000, "remaining millis " + remaining);
        long absolute = Long.parseLong(arm[2]);
        assertTrue(Math.abs(absolute - deadline) < 100 * MS, "the same deadline on the nanoTime scale");

        wd.disarm();
        await("the disarm line", () -> lines(file).size() == 2);
        wd.disarm();
        wd.disarm();
        Thread.sleep(100);
        assertEquals(List.of("disarm"), lines(file).subList(1, lines(file).size()), "disarm is written once");

        wd.arm(System.nanoTime() + 4_000 * MS);
        await("the second arm", () -> lines(file).size() == 3);
        Process child = wd.process().orElseThrow();
        wd.close();
        assertTrue(child.waitFor(5, TimeUnit.SECONDS), "the child exits at the end of its input");
        List<String> all = lines(file);
        assertEquals(List.of("disarm", "exit"), all.subList(all.size() - 2, all.size()));
        wd.arm(System.nanoTime() + 4_000 * MS);
        wd.close();
        assertEquals(1, wd.starts());
    }

    @Test
    void aDeadChildIsReplacedAtTheNextArm() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ZERO);
        try {
            wd.arm(System.nanoTime() + 4_000 * MS);
            await("the first child", () -> wd.process().isPresent() && lines(file).size() == 1);
            Process first = wd.process().orElseThrow();
            first.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            wd.arm(System.nanoTime() + 4_000 * MS);
            await("a second child got the arm", () -> wd.starts() == 2 && lines(file).size() == 2);
            assertFalse(first.isAlive());
            assertTrue(wd.process().orElseThrow().isAlive());
        } finally {
            wd.close();
        }
    }

    @Test
    void restartsAreSpacedOut() throws Exception {
        ProcessWatchdog wd = new ProcessWatchdog(() -> new ProcessBuilder("true").start(), System::nanoTime,
                Duration.ofHours(1));
        try {
            for (int i = 0; i < 20; i++) {
                wd.arm(System.nanoTime() + 4_000 * MS);
                Thread.sleep(20);
            }
            assertEquals(1, wd.starts(), "a child that dies at once is not restarted every cycle");
        } finally {
            wd.close();
        }
    }

    @Test
    void aChildThatCannotStartIsLoggedNotThrown() {
        ProcessWatchdog wd = new ProcessWatchdog(() -> {
            throw new IOException("no java here");
        }, System::nanoTime, Duration.ZERO);
        wd.arm(System.nanoTime() + 4_000 * MS);
        wd.disarm();
        wd.close();
        assertEquals(0, wd.starts());
    }

    @Test
    void aChildThatDoesNotReadNeverBlocksTheLoop() throws Exception {
        ProcessWatchdog wd = new ProcessWatchdog(() -> new ProcessBuilder("sleep", "300").start(), System::nanoTime,
                Duration.ZERO);
        long t0 = System.nanoTime();
        for (int i = 0; i < 200_000; i++) {
            wd.arm(System.nanoTime() + 4_000 * MS);
            if (i % 1000 == 0) {
                Thread.sleep(1); // let the writer fill the pipe
            }
        }
        long armNanos = System.nanoTime() - t0;
        assertTrue(armNanos < TimeUnit.SECONDS.toNanos(20), "arming took " + armNanos / MS + " ms");
        Process child = wd.process().orElseThrow();
        long c0 = System.nanoTime();
        wd.close();
        assertTrue(System.nanoTime() - c0 < TimeUnit.SECONDS.toNanos(10), "close is bounded");
        assertTrue(child.waitFor(5, TimeUnit.SECONDS), "a child that does not read is killed on close");
    }
}
