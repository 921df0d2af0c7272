package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * postmaster.pid parsed from sample contents, and the liveness and identity checks against a fake
 * {@code /proc} in which this test's own JVM plays the postmaster (so that it is a live process).
 */
class PostmasterTest {
    private static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path tmp;
    private Path data;
    private Path proc;
    private Postmaster postmaster;

    @BeforeEach
    void setUp() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        proc = Files.createDirectories(tmp.resolve("proc"));
        postmaster = new Postmaster(data, proc);
    }

    static Stream<Arguments> pidFiles() {
        return Stream.of(
                Arguments.of("4711\n/srv/data\n1732243101\n5432\n/tmp\n*\n  5432001   0\nready   \n",
                        Optional.of(new Postmaster.PidFile(4711, false))),
                Arguments.of("4711", Optional.of(new Postmaster.PidFile(4711, false))),
                Arguments.of(" 42 \r\n/srv/data\n", Optional.of(new Postmaster.PidFile(42, false))),
                Arguments.of("-4712\n/srv/data\n", Optional.of(new Postmaster.PidFile(4712, true))),
                Arguments.of("", Optional.empty()),
                Arguments.of("\n4711\n", Optional.empty()),
                Arguments.of("0\n", Optional.empty()),
                Arguments.of("abc\n", Optional.empty()),
                Arguments.of("47 11\n", Optional.empty()),
                Arguments.of("-9223372036854775808\n", Optional.empty()),
                Arguments.of("99999999999999999999\n", Optional.empty()));
    }

    @ParameterizedTest
    @MethodSource("pidFiles")
    void parse(String content, Optional<Postmaster.PidFile> expected) {
        assertEquals(expected, Postmaster.parse(content));
    }

    private void pidFile(String content) throws Exception {
        Files.writeString(data.resolve("postmaster.pid"), content);
    }

    /** A fake /proc entry for {@code pid}: its stat line with {@code state}, and its working directory. */
    private void process(long pid, char state, Path cwd) throws Exception {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (post gres) x) " + state + " 1 " + pid + " 0 0 -1\n");
        Files.deleteIfExists(dir.resolve("cwd"));
        if (cwd != null) {
            Files.createSymbolicLink(dir.resolve("cwd"), cwd);
        }
    }

    @Test
    void runningMeansALiveProcessThatIsNotAZombie() throws Exception {
        assertFalse(postmaster.isRunning(), "no postmaster.pid");
        pidFile(SELF + "\n" + data + "\n");
        assertTrue(postmaster.isRunning(), "no /proc entry to say otherwise");
        process(SELF, 'S', tmp);
        assertTrue(postmaster.isRunning(), "the agent does not check the working directory");
        process(SELF, 'Z', data);
        assertFalse(postmaster.isRunning(), "a zombie");
        pidFile("-" + SELF + "\n");
        process(SELF, 'S', data);
        assertFalse(postmaster.isRunning(), "a standalone backend is not a postmaster");
        pidFile("999999999\n");
        assertFalse(postmaster.isRunning(), "no such process");
        pidFile("garbage\n");
        assertFalse(postmaster.isRunning());
    }

    @Test
    void theIdentityCheckIsTheWorkingDirectory() throws Exception {
        assertFalse(postmaster.runsInDataDir(SELF), "unreadable");
        process(SELF, 'S', tmp);
        assertFalse(postmaster.runsInDataDir(SELF));
        assertEquals(Optional.of(tmp), postmaster.workingDirectory(SELF));
        process(SELF, 'S', data);
        assertTrue(postmaster.runsInDataDir(SELF));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), data);
        assertTrue(new Postmaster(link, proc).runsInDataDir(SELF), "a data directory reached through a link");
    }

    @Test
    void aZombiesPidFileIsRemovedOnceItIsNotReaped() throws Exception {
        pidFile(SELF + "\n");
        process(SELF, 'S', data);
        postmaster.clearStalePidFile(Duration.ZERO);
        assertTrue(Files.exists(postmaster.pidFilePath()), "a live postmaster's file stays");
        pidFile("-" + SELF + "\n");
        process(SELF, 'Z', data);
        postmaster.clearStalePidFile(Duration.ZERO);
        assertTrue(Files.exists(postmaster.pidFilePath()), "a standalone backend's file stays");
        pidFile(SELF + "\n");
        postmaster.clearStalePidFile(Duration.ZERO);
        assertFalse(Files.exists(postmaster.pidFilePath()), "an unreaped zombie's file goes");
        postmaster.clearStalePidFile(Duration.ZERO);
    }

    @Test
    void theRealProcSaysThisJvmIsLive() {
        Postmaster real = new Postmaster(data);
        assertTrue(real.isLive(ProcessHandle.current()));
        assertFalse(real.isZombie(ProcessHandle.current().pid()));
    }
}
