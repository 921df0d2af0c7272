package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    @Test
    void noChildUntilTheFirstArmThenArmDisarmAndExitLines() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ZERO);
        wd.disarm();
        wd.disarm();
        // A disarm before any arm returns without starting anything (not even the writer thread).
        assertTrue(wd.process().isEmpty(), "a disarm alone starts nothing");
        assertEquals(0, wd.starts());

        long before = System.nanoTime();
        long deadline = before + 4_000 * MS;
        wd.arm(deadline);
        Await.until("the arm line", () -> lines(file).size() == 1);
        long took = System.nanoTime() - before;
        String[] arm = lines(file).get(0).split(" ");
        assertEquals("arm", arm[0]);
        // Computed when written: what was left of the deadline then, never more.
        long remaining = Long.parseLong(arm[1]);
        assertTrue(remaining <= 4_000 && remaining >= (4_000 * MS - took) / MS - 1, "remaining millis " + remaining);
        long absolute = Long.parseLong(arm[2]);
        assertTrue(absolute - deadline >= 0 && absolute - deadline <= took, "the same deadline on the nanoTime scale");

        wd.disarm();
        Await.until("the disarm line", () -> lines(file).size() == 2);
        wd.disarm();
        wd.disarm();
        // The writer sends in order, so once the next arm is written the repeated disarms are behind it.
        wd.arm(System.nanoTime() + 4_000 * MS);
        Await.until("the second arm", () -> lines(file).size() == 3);
        assertEquals(List.of("arm", "disarm", "arm"), lines(file).stream().map(l -> l.split(" ")[0]).toList(),
                "disarm is written once");
        Process child = wd.process().orElseThrow();
        wd.close();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child exits at the end of its input");
        List<String> all = lines(file);
        assertEquals(List.of("disarm", "exit"), all.subList(all.size() - 2, all.size()));
        wd.arm(System.nanoTime() + 4_000 * MS);
        wd.close();
        assertEquals(1, wd.starts());
    }

    @Test
    void prepareStartsTheChildDisarmedAndTheFirstArmFindsItRunning() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ofHours(1));
        try {
            wd.prepare();
            Await.until("the prepared child", () -> wd.process().isPresent());
            assertEquals(List.of(), lines(file), "started, not armed");
            wd.prepare();
            wd.arm(System.nanoTime() + 4_000 * MS);
            Await.until("the arm line", () -> lines(file).size() == 1);
            assertEquals("arm", lines(file).get(0).split(" ")[0]);
            assertEquals(1, wd.starts(), "the prepared child got the arm: no second start");
        } finally {
            wd.close();
        }
    }

    @Test
    void aDeadChildIsReplacedAtTheNextArm() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ZERO);
        try {
            wd.arm(System.nanoTime() + 4_000 * MS);
            Await.until("the first child", () -> wd.process().isPresent() && lines(file).size() == 1);
            Process first = wd.process().orElseThrow();
            assertTrue(first.destroyForcibly().waitFor(30, TimeUnit.SECONDS));
            wd.arm(System.nanoTime() + 4_000 * MS);
            Await.until("a second child got the arm", () -> wd.starts() == 2 && lines(file).size() == 2);
            assertFalse(first.isAlive());
            assertTrue(wd.process().orElseThrow().isAlive());
        } finally {
            wd.close();
        }
    }

    @Test
    void restartsAreSpacedOut() throws Exception {
        Path file = tmp.resolve("in");
        ProcessWatchdog wd = new ProcessWatchdog(recorder(file), System::nanoTime, Duration.ofHours(1));
        try {
            wd.arm(System.nanoTime() + 4_000 * MS);
            Await.until("the first child got the arm", () -> wd.process().isPresent() && lines(file).size() == 1);
            Process first = wd.process().orElseThrow();
            assertTrue(first.destroyForcibly().waitFor(30, TimeUnit.SECONDS));
            wd.arm(System.nanoTime() + 4_000 * MS);
            // The writer found the child dead and let it go, where it would have started the next one.
            Await.until("the dead child is let go", () -> wd.process().isEmpty());
            for (int i = 0; i < 20; i++) {
                wd.arm(System.nanoTime() + 4_000 * MS);
            }
            assertEquals(1, wd.starts(), "a child that dies is not restarted every cycle");
        } finally {
            wd.close();
        }
        assertEquals(1, wd.starts());
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
        // Far more lines than the pipe holds: the writer thread blocks on the full pipe, the
        // arms do not. The deadlines below only turn a hang into a failure.
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            for (int i = 0; i < 200_000; i++) {
                wd.arm(System.nanoTime() + 4_000 * MS);
                if (i % 1000 == 0) {
                    Thread.yield(); // let the writer fill the pipe
                }
            }
        }, "arming blocked");
        Await.until("the child runs", () -> wd.process().isPresent());
        Process child = wd.process().orElseThrow();
        assertTimeoutPreemptively(Duration.ofMinutes(1), wd::close, "close blocked");
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "a child that does not read is killed on close");
    }
}
