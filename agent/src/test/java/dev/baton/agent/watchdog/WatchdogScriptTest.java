package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fencing watchdog's rules, driven through the real perl script ({@link WatchdogScript}): its
 * standard input (or its socket, as a service), short deadlines, and a stand-in postgres (a
 * {@code sleep} whose working directory is the data directory, named by postmaster.pid). What it
 * did is read from its log and from the stand-in's fate. Waits are generous; nothing asserts on
 * how long anything took.
 */
class WatchdogScriptTest {
    private static final Path PERL = dev.baton.agent.process.Executables.onPath("perl").orElse(null);

    @TempDir
    Path tmp;
    private Path dataDir;
    private Path script;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(PERL != null, "needs perl");
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        dataDir = Files.createDirectories(tmp.resolve("data"));
        script = WatchdogScript.extract(tmp.resolve("private"), WatchdogScript.content());
    }

    @AfterEach
    void cleanUp() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The script, run by perl, its log in a file. */
    private final class Watchdog {
        final Process process;
        final Path log;
        final OutputStream in;

        Watchdog(List<String> args) throws IOException {
            log = Files.createTempFile(tmp, "watchdog", ".log");
            List<String> command = new ArrayList<>(List.of(PERL.toString(), script.toString()));
            command.addAll(args);
            process = new ProcessBuilder(command).redirectOutput(log.toFile()).redirectError(log.toFile()).start();
            started.add(process);
            in = process.getOutputStream();
        }

        void send(String lines) throws IOException {
            in.write(lines.getBytes(StandardCharsets.US_ASCII));
            in.flush();
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "";
            }
        }

        int count(String text) {
            String l = log();
            int n = 0;
            for (int i = l.indexOf(text); i >= 0; i = l.indexOf(text, i + 1)) {
                n++;
            }
            return n;
        }

        void awaitLog(String text, int times) throws InterruptedException {
            Await.until("\"" + text + "\" " + times + " times in the log:\n" + log(), () -> count(text) >= times);
        }

        int exit() throws InterruptedException {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the watchdog exits:\n" + log());
            return process.exitValue();
        }
    }

    private Watchdog watchdog(String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--name", "node1"));
        args.addAll(List.of(extra));
        return new Watchdog(args);
    }

    /** A stand-in postmaster: a sleep in the data directory, named by postmaster.pid. */
    private Process postgres() throws IOException {
        Process p = start(dataDir, "sleep", "300");
        writePid(p.pid());
        return p;
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

    private static void awaitDeath(Process p) throws InterruptedException {
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the stand-in postgres " + p.pid() + " was killed");
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + sig + " " + pid);
    }

    private static final String ARMED = "armed: fencing postgres unless the agent renews its lease within";
    private static final String DEADLINE_FENCE = "no heartbeat from the agent for ";

    // ------------------------------------------------------------------ the rules (standard input)

    @Test
    void armedFencesOnceWhenTheDeadlinePassesWithoutAHeartbeatThenKeepsListening() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 300\n");
        awaitDeath(pg);
        w.awaitLog("fenced: no postgres process of " + dataDir + " is left", 1);
        assertTrue(w.log().contains(DEADLINE_FENCE) && w.log().contains(WatchdogScript.FENCING), w.log());
        assertTrue(w.log().contains("sent SIGKILL to postmaster " + pg.pid() + " and 0 other postgres processes of "
                + dataDir), w.log());
        assertTrue(w.process.isAlive(), "it keeps listening after a fence");
        // Armed again by the agent that came back, and fenced again at the next deadline.
        Process pg2 = postgres();
        w.send("arm 300\n");
        awaitDeath(pg2);
        w.awaitLog(DEADLINE_FENCE, 2);
        w.send("exit\n");
        assertEquals(0, w.exit());
        assertEquals(2, w.count(WatchdogScript.FENCING), "once per deadline:\n" + w.log());
    }

    @Test
    void eachHeartbeatMovesTheDeadlineAndDisarmStopsIt() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        // Heartbeats every 100 ms with 1 s each, for 2.5 s: the first deadline passes, nothing fences.
        for (int i = 0; i < 25; i++) {
            w.send("arm 1000\n");
            Thread.sleep(100);
        }
        w.send("disarm\n");
        w.awaitLog("disarmed: the agent disarmed it", 1);
        Thread.sleep(1500);
        assertTrue(pg.isAlive(), "disarmed: no fence\n" + w.log());
        assertEquals(1, w.count(ARMED), "one armed line per term:\n" + w.log());
        w.send("exit\n");
        assertEquals(0, w.exit());
        assertFalse(w.log().contains(WatchdogScript.FENCING), w.log());
    }

    @Test
    void aHeartbeatCanAlsoMoveTheDeadlineEarlier() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 600000\n");
        w.awaitLog(ARMED, 1);
        w.send("arm 200\n");
        awaitDeath(pg);
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    @Test
    void endOfInputWhileArmedFencesAtOnceAndExitsOne() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 600000\n");
        w.awaitLog(ARMED, 1);
        w.in.close();
        assertEquals(1, w.exit());
        awaitDeath(pg);
        assertTrue(w.log().contains("my input ended while armed (the agent's process died): " + WatchdogScript.FENCING),
                w.log());
    }

    @Test
    void endOfInputWhileDisarmedOrBeforeAnyHeartbeatExitsQuietly() throws Exception {
        Process pg = postgres();
        Watchdog never = watchdog();
        never.in.close();
        assertEquals(0, never.exit());

        Watchdog w = watchdog();
        w.send("arm 600000\nnonsense\ndisarm\n");
        w.in.close();
        assertEquals(0, w.exit());
        assertTrue(pg.isAlive());
        assertFalse(w.log().contains(WatchdogScript.FENCING), w.log());
    }

    @Test
    void exitDisarmsWithoutFencing() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 600000\nexit\n");
        assertEquals(0, w.exit());
        assertTrue(w.log().contains("asked to exit while armed: disarming without fencing"), w.log());
        assertTrue(pg.isAlive());
    }

    @Test
    void garbageIsIgnoredWithAWarningAndNeverMovesTheDeadline() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 300\n");
        w.awaitLog(ARMED, 1);
        // None of these is a heartbeat: the deadline stays where the valid one put it.
        w.send("arm\narm x\narm 600000 1 2\narm 99999999999\narm 600000 x\ndisarm now\nexit please\nhello\u0001\n");
        awaitDeath(pg);
        w.awaitLog("ignoring an input line I do not understand", 8);
        assertTrue(w.log().contains("ignoring an input line I do not understand: \"hello?\""), w.log());
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    @Test
    void anEarlierAbsoluteDeadlineWinsSoADelayedHeartbeatNeverExtendsTheLease() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        // Written 59.7 s ago with 60 s left: 300 ms left now, whatever the first field says.
        long absolute = System.nanoTime() + Duration.ofMillis(300).toNanos();
        w.send("arm 60000 " + absolute + "\n");
        awaitDeath(pg);
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    @Test
    void aHeartbeatArrivingAfterItsOwnDeadlineFencesAtOnce() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 60000 " + (System.nanoTime() - Duration.ofSeconds(1).toNanos()) + "\n");
        awaitDeath(pg);
        assertTrue(w.log().contains("a heartbeat arrived ") && w.log().contains(" ms after its own deadline"), w.log());
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    @Test
    void anAbsoluteDeadlineOnAnotherClockIsIgnored() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        // Far ahead of this clock: another machine's. The remaining time alone counts, once warned.
        long elsewhere = System.nanoTime() + Duration.ofDays(3).toNanos();
        w.send("arm 600000 " + elsewhere + "\narm 600000 " + elsewhere + "\n");
        w.awaitLog(ARMED, 1);
        w.awaitLog("the agent's monotonic clock differs from mine; using the remaining time only", 1);
        w.send("exit\n");
        assertEquals(0, w.exit());
        assertEquals(1, w.count("clock differs"), w.log());
        assertTrue(pg.isAlive());
    }

    @Test
    void theLoopAppliesABacklogOfHeartbeatsBeforeCheckingTheDeadline() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        // A slow start: stale heartbeats wait in the pipe, the latest one is valid.
        w.send("arm -5000\narm -4000\narm 60000\n");
        w.awaitLog(" ms after its own deadline", 2);
        Thread.sleep(500);
        // Armed by a stale heartbeat first, so no "armed" line; the valid one keeps it armed.
        w.send("disarm\n");
        w.awaitLog("disarmed: the agent disarmed it", 1);
        w.send("exit\n");
        assertEquals(0, w.exit());
        assertTrue(pg.isAlive(), w.log());
        assertFalse(w.log().contains(WatchdogScript.FENCING), w.log());
    }

    /**
     * Frozen together with the agent (drill stop-agent-tree): on waking far past the deadline, the
     * disarm the agent wrote after it demoted itself is applied before the watchdog decides, so the
     * rewind's postgres the agent has started since is not killed. Without input, it still fences.
     */
    @Test
    void afterAFreezeWhatTheAgentWroteMeanwhileIsReadBeforeTheDecision() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 500\n");
        w.awaitLog(ARMED, 1);
        signal("STOP", w.process.pid());
        Thread.sleep(2000); // past the deadline by more than a second
        w.send("disarm\n");
        signal("CONT", w.process.pid());
        w.awaitLog("disarmed: the agent disarmed it", 1);
        assertTrue(pg.isAlive(), "the disarm written during the freeze counted:\n" + w.log());

        w.send("arm 500\n");
        w.awaitLog(ARMED, 2);
        signal("STOP", w.process.pid());
        Thread.sleep(2000); // frozen again, and the agent says nothing
        signal("CONT", w.process.pid());
        awaitDeath(pg);
        w.in.close();
        assertEquals(0, w.exit());
        assertEquals(1, w.count("disarmed: the agent disarmed it"), w.log());
    }

    @Test
    void aSignalWhileArmedDoesNotFence() throws Exception {
        Process pg = postgres();
        Watchdog w = watchdog();
        w.send("arm 600000\n");
        w.awaitLog(ARMED, 1);
        w.process.destroy(); // SIGTERM
        assertEquals(143, w.exit());
        assertTrue(w.log().contains("terminated while armed: not fencing"), w.log());
        assertTrue(pg.isAlive());
    }

    @Test
    void aBadCommandLineExitsTwo() throws Exception {
        assertEquals(2, new Watchdog(List.of("--name", "x")).exit());
        assertEquals(2, new Watchdog(List.of("--data-dir", dataDir.toString(), "--bogus", "1")).exit());
        Watchdog w = new Watchdog(List.of("--data-dir", dataDir.toString(), "--device-required=yes"));
        assertEquals(2, w.exit());
        assertTrue(w.log().contains("watchdog: --device-required takes no value\nusage: "), w.log());
    }

    @Test
    void theOptionsFileCarriesTheResolvedOptions() throws Exception {
        Process pg = postgres();
        Path file = tmp.resolve("options");
        Files.writeString(file, new WatchdogScript.Options(dataDir, "node 1", null, false).toOptionsFile());
        Watchdog w = new Watchdog(List.of("--options-file", file.toString()));
        w.send("arm 600000\n");
        w.in.close();
        assertEquals(1, w.exit());
        awaitDeath(pg);
        assertTrue(w.log().contains("fencing watchdog of node 1 started"), w.log());
    }

    // ------------------------------------------------------------------ the fence

    @Test
    void killsThePostmasterAndEveryProcessOfItsBinaryInTheDataDirectoryButNothingElse() throws Exception {
        // Backends run the postmaster's binary; their own children (helpers) run another one.
        Process postmaster = start(dataDir, "sh", "-c", "sh -c 'sleep 300; true' & sh -c 'sleep 300; true' & wait");
        Await.until("the stand-in postmaster's descendants run", () -> postmaster.descendants().count() >= 4);
        List<ProcessHandle> backends = postmaster.children().toList();
        List<ProcessHandle> helpers = postmaster.descendants().filter(p -> !backends.contains(p)).toList();
        writePid(postmaster.pid());
        // A process of the same binary in the data directory that is not (or no longer) a child.
        Process stray = start(dataDir, "sh", "-c", "read x");
        // Bystanders: another binary in the data directory, and the same binary elsewhere.
        Process otherBinary = start(dataDir, "sleep", "300");
        Process elsewhere = start(tmp, "sh", "-c", "read x");
        try {
            Watchdog w = watchdog();
            w.send("arm 600000\n");
            w.in.close();
            assertEquals(1, w.exit());
            assertTrue(w.log().contains("sent SIGKILL to postmaster " + postmaster.pid() + " and 3 other postgres "
                    + "processes of " + dataDir), w.log());
            assertTrue(w.log().contains("fenced: no postgres process of " + dataDir + " is left"), w.log());
            assertTrue(postmaster.waitFor(5, TimeUnit.SECONDS), "the postmaster was killed");
            assertEquals(2, backends.size());
            for (ProcessHandle b : backends) {
                Await.until("backend " + b.pid() + " is gone", () -> !b.isAlive() || zombie(b.pid()));
            }
            awaitDeath(stray);
            assertTrue(otherBinary.isAlive(), "another program in the data directory is left alone");
            assertTrue(elsewhere.isAlive(), "the same program elsewhere is left alone");
        } finally {
            helpers.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    @Test
    void aStalePidFileNamingAnotherProcessKillsNothing() throws Exception {
        Process unrelated = start(tmp, "sleep", "300");
        writePid(unrelated.pid());
        Watchdog w = watchdog();
        w.send("arm 600000\n");
        w.in.close();
        assertEquals(1, w.exit());
        assertTrue(w.log().contains("postmaster.pid names process " + unrelated.pid() + ", which is not a postgres of "
                + dataDir + ": not killing it (a stale file)"), w.log());
        assertTrue(w.log().contains("nothing to fence: no postgres process runs in " + dataDir), w.log());
        assertTrue(unrelated.isAlive());
    }

    @Test
    void nothingRunningIsAlreadyFenced() throws Exception {
        writePid(999_999_999L);
        Watchdog w = watchdog();
        w.send("arm 100\n");
        w.awaitLog("nothing to fence: no postgres process runs in " + dataDir, 1);
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    // ------------------------------------------------------------------ the device (a plain file stands in)

    @Test
    void theDeviceIsKeptAliveWhileArmedAndStoppedOnDisarmAndAfterACleanFence() throws Exception {
        Path device = Files.createFile(tmp.resolve("watchdog"));
        Watchdog w = watchdog("--device", device.toString(), "--device-required");
        w.send("arm 600000\narm 600000\n");
        w.awaitLog("opened the watchdog device " + device, 1);
        w.send("disarm\n");
        w.awaitLog("stopped the watchdog device " + device, 1);
        assertArrayEquals(new byte[] {0, 0, 'V'}, Files.readAllBytes(device), "two keep-alives, then the magic close");

        Process pg = postgres();
        w.send("arm 300\n");
        awaitDeath(pg);
        w.awaitLog("stopped the watchdog device " + device, 2);
        assertArrayEquals(new byte[] {0, 'V', 'V'}, Files.readAllBytes(device),
                "opened again (from the start of the file): a keep-alive, then stopped after the clean fence");
        w.send("exit\n");
        assertEquals(0, w.exit());
    }

    @Test
    void aMissingDeviceIsNeverCreatedAndTheWatchdogGoesOnWithoutIt() throws Exception {
        Process pg = postgres();
        Path absent = tmp.resolve("absent");
        Watchdog w = watchdog("--device", absent.toString(), "--device-required");
        w.send("arm 600000\narm 600000\n");
        w.awaitLog(ARMED, 1);
        w.in.close();
        assertEquals(1, w.exit());
        awaitDeath(pg);
        assertEquals(1, w.count("SEVERE watchdog: cannot open the watchdog device " + absent), "said once:\n" + w.log());
        assertFalse(Files.exists(absent));
    }

    // ------------------------------------------------------------------ the service (--listen)

    private Watchdog service(Path socket) throws Exception {
        Watchdog w = watchdog("--listen", socket.toString());
        Await.until("the service listens:\n" + w.log(), () -> w.log().contains("fencing watchdog service listening on"));
        return w;
    }

    private static String readLine(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(1);
        while (c.read(b) > 0) {
            b.flip();
            char ch = (char) b.get();
            if (ch == '\n') {
                return sb.toString();
            }
            sb.append(ch);
            b.clear();
        }
        return sb.toString();
    }

    @Test
    void theSocketIsOnlyForItsOwnerAndAnAgentSpeaksTheChildsProtocolAndAGracefulCloseDoesNotFence() throws Exception {
        Process pg = postgres();
        Path socket = tmp.resolve("wd.sock");
        Watchdog w = service(socket);
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(socket));

        ProcessWatchdog agent = ProcessWatchdog.ofService(socket, System::nanoTime, Duration.ZERO);
        agent.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        w.awaitLog(ARMED, 1);
        Process conn = agent.process().orElseThrow();
        assertEquals(w.process.pid(), conn.pid(), "the service's pid, from the greeting");
        agent.disarm();
        w.awaitLog("disarmed: the agent disarmed it", 1);
        agent.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        w.awaitLog(ARMED, 2);
        agent.close(); // disarm, exit, close
        w.awaitLog("the agent disconnected; waiting for the next one", 1);
        assertTrue(pg.isAlive(), "a graceful close does not fence");

        // The service waits for the next agent.
        ProcessWatchdog next = ProcessWatchdog.ofService(socket, System::nanoTime, Duration.ZERO);
        next.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        w.awaitLog(ARMED, 3);
        next.close();
        w.awaitLog("the agent disconnected; waiting for the next one", 2);

        w.process.destroy(); // SIGTERM: no fence, the socket removed
        assertEquals(143, w.exit());
        assertFalse(Files.exists(socket), "a terminated service removes its socket");
        assertTrue(pg.isAlive());
    }

    @Test
    void theConnectionEndingWhileArmedFencesAtOnceAndTheNextAgentIsServed() throws Exception {
        Process pg = postgres();
        Path socket = tmp.resolve("wd.sock");
        Watchdog w = service(socket);
        ServiceConnection c = ServiceConnection.connect(socket, Duration.ofSeconds(30));
        c.getOutputStream().write("arm 600000\n".getBytes(StandardCharsets.US_ASCII));
        c.getOutputStream().flush();
        w.awaitLog(ARMED, 1);
        // A second agent while the first is connected: refused once the handover grace is over.
        try (SocketChannel other = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertEquals("refused another agent is connected", readLine(other));
        }
        c.destroy(); // the agent's process died: its end of the connection closed
        awaitDeath(pg);
        w.awaitLog("the agent's connection ended while armed; fenced. Waiting for the next agent", 1);
        assertTrue(w.log().contains("my input ended while armed"), w.log());

        Process pg2 = postgres();
        ServiceConnection again = ServiceConnection.connect(socket, Duration.ofSeconds(30));
        again.getOutputStream().write("arm 300\n".getBytes(StandardCharsets.US_ASCII));
        again.getOutputStream().flush();
        // A stopped agent: the connection stays open, the deadline passes.
        awaitDeath(pg2);
        w.awaitLog(DEADLINE_FENCE, 1);
        again.destroy();
        w.awaitLog("the agent disconnected; waiting for the next one", 1);
        assertTrue(w.process.isAlive());
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneOrAnotherFileIsNot() throws Exception {
        Path socket = tmp.resolve("wd.sock");
        Watchdog first = service(socket);
        first.process.destroyForcibly(); // SIGKILL: the socket file stays behind
        first.exit();
        assertTrue(Files.exists(socket));
        Watchdog second = service(socket);

        Watchdog third = watchdog("--listen", socket.toString());
        assertEquals(2, third.exit());
        assertTrue(third.log().contains("cannot listen on " + socket + ": " + socket
                + " is in use by another watchdog service"), third.log());
        assertTrue(second.process.isAlive());

        Path file = Files.writeString(tmp.resolve("not-a-socket"), "x");
        Watchdog fourth = watchdog("--listen", file.toString());
        assertEquals(2, fourth.exit());
        assertTrue(fourth.log().contains(file + " exists and is not a socket: not replacing it"), fourth.log());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void nobodyListening() {
        IOException e = assertThrows(IOException.class,
                () -> ServiceConnection.connect(tmp.resolve("nobody.sock"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage() != null);
    }

    // ------------------------------------------------------------------ where the script comes from

    @Test
    void theScriptIsExtractedPrivatelyAndWrittenAgainWhenChanged() throws Exception {
        Path dir = tmp.resolve("state").resolve(".baton-watchdog_node1");
        byte[] content = WatchdogScript.content();
        Path s = WatchdogScript.extract(dir, content);
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir));
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(s));
        assertArrayEquals(content, Files.readAllBytes(s));
        Files.writeString(s, "tampered");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(s, WatchdogScript.extract(dir, content));
        assertArrayEquals(content, Files.readAllBytes(s), "written again");
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir));
        assertEquals(List.of("/usr/bin/perl", s.toString(), "--data-dir", "/data", "--name", "node1", "--device",
                "/dev/watchdog", "--device-required"), WatchdogScript.command(Path.of("/usr/bin/perl"), s,
                new WatchdogScript.Options(Path.of("/data"), "node1", Path.of("/dev/watchdog"), true)));
    }
}
