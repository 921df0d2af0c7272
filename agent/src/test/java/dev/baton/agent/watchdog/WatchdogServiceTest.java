package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watchdog service over a real Unix socket: the peer's user is checked, an accepted agent is
 * greeted and then speaks the child's protocol (arm, disarm, exit) to the same rules, and a
 * connection that ends while armed fences. The fence is a counter.
 */
class WatchdogServiceTest {
    @TempDir
    Path tmp;

    private final AtomicInteger fences = new AtomicInteger();
    private FencingWatchdog watchdog;
    private WatchdogService service;
    private Thread server;

    private Path start(UserPrincipal allowed) throws Exception {
        Path socket = tmp.resolve("wd.sock");
        watchdog = new FencingWatchdog(System::nanoTime, () -> {
            fences.incrementAndGet();
            return true;
        }, null);
        service = new WatchdogService(socket, watchdog, allowed);
        service.bind();
        server = new Thread(() -> {
            try {
                service.serve();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-watchdog-service");
        server.setDaemon(true);
        server.start();
        return socket;
    }

    @AfterEach
    void stop() throws Exception {
        if (service != null) {
            service.close();
            server.join(10_000);
            assertFalse(server.isAlive(), "serve() returns after close()");
        }
    }

    private static String readLine(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(1);
        while (c.read(b.clear()) > 0) {
            char ch = (char) b.get(0);
            if (ch == '\n') {
                return sb.toString();
            }
            sb.append(ch);
        }
        return sb.toString();
    }

    private static void write(SocketChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    @Test
    void theSocketIsOnlyForItsOwnerAndAcceptedAgentsAreGreeted() throws Exception {
        Path socket = start(WatchdogService.currentUser());
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(socket));
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertEquals(WatchdogService.GREETING + " " + WatchdogService.VERSION + " " + ProcessHandle.current().pid(),
                    readLine(c));
        }
    }

    @Test
    void aPeerOfAnotherUserIsRefusedAndCannotArm() throws Exception {
        UserPrincipal someoneElse = () -> "someone-else";
        Path socket = start(someoneElse);
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            String line = readLine(c);
            assertTrue(line.startsWith(WatchdogService.REFUSED + " user "), line);
            assertTrue(line.endsWith(" is not someone-else"), line);
            try {
                write(c, "arm 60000\n");
            } catch (IOException e) {
                // closed by the service: the line goes nowhere either way
            }
        }
        IOException e = assertThrows(IOException.class, () -> ServiceConnection.connect(socket, Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("refused the connection: user "), e.getMessage());
        Thread.sleep(100);
        assertFalse(watchdog.isArmed(), "a refused peer never arms it");
    }

    @Test
    void theAgentSpeaksTheChildsProtocolAndAGracefulCloseDoesNotFence() throws Exception {
        Path socket = start(WatchdogService.currentUser());
        ProcessWatchdog agent = ProcessWatchdog.ofService(socket, System::nanoTime, Duration.ZERO);
        agent.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        Await.until("the service is armed", watchdog::isArmed);
        Process conn = agent.process().orElseThrow();
        assertEquals(ProcessHandle.current().pid(), conn.pid(), "the service's pid, from the greeting");
        assertTrue(conn.isAlive());
        agent.disarm();
        Await.until("the service is disarmed", () -> !watchdog.isArmed());
        agent.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        Await.until("armed again", watchdog::isArmed);
        agent.close(); // disarm, exit, close
        Await.until("the connection ended", () -> !conn.isAlive());
        // The agent's end closes as soon as it wrote disarm and exit; the service applies them on
        // its own thread, maybe a moment later.
        Await.until("the service applied the disarm", () -> !watchdog.isArmed());
        assertEquals(0, fences.get(), "a graceful close does not fence");

        // The service waits for the next agent.
        ProcessWatchdog next = ProcessWatchdog.ofService(socket, System::nanoTime, Duration.ZERO);
        next.arm(System.nanoTime() + Duration.ofMinutes(1).toNanos());
        Await.until("the next agent armed it", watchdog::isArmed);
        next.close();
        assertEquals(0, fences.get());
    }

    @Test
    void theConnectionEndingWhileArmedFencesAtOnceAndTheNextAgentIsServed() throws Exception {
        Path socket = start(WatchdogService.currentUser());
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(readLine(c).startsWith(WatchdogService.GREETING + " "));
            write(c, "arm 60000\n");
            Await.until("armed", watchdog::isArmed);
            // A second agent while the first is connected is refused.
            IOException busy = assertThrows(IOException.class,
                    () -> ServiceConnection.connect(socket, Duration.ofSeconds(10)));
            assertTrue(busy.getMessage().endsWith("refused the connection: another agent is connected"),
                    busy.getMessage());
        } // the agent's process is gone: its end of the socket closes
        Await.until("fenced", () -> fences.get() == 1);
        assertFalse(watchdog.isArmed());

        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(readLine(c).startsWith(WatchdogService.GREETING + " "), "the next agent is greeted");
        }
    }

    @Test
    void aStoppedAgentIsFencedAtItsDeadlineWhileTheConnectionStaysOpen() throws Exception {
        Path socket = start(WatchdogService.currentUser());
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            readLine(c);
            write(c, "arm 200\n");
            Await.until("fenced at the deadline", () -> fences.get() == 1);
            write(c, "arm 60000\n");
            Await.until("armed again after the resume", watchdog::isArmed);
            write(c, "exit\n");
            Await.until("disarmed", () -> !watchdog.isArmed());
        }
        assertEquals(1, fences.get());
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneOrAnotherFileIsNot() throws Exception {
        Path socket = start(WatchdogService.currentUser());
        FencingWatchdog other = new FencingWatchdog(System::nanoTime, () -> true, null);
        IOException live = assertThrows(IOException.class,
                () -> new WatchdogService(socket, other, WatchdogService.currentUser()).bind());
        assertTrue(live.getMessage().endsWith("is in use by another watchdog service"), live.getMessage());

        Path file = Files.writeString(tmp.resolve("plain"), "x");
        IOException notSocket = assertThrows(IOException.class,
                () -> new WatchdogService(file, other, WatchdogService.currentUser()).bind());
        assertTrue(notSocket.getMessage().endsWith("exists and is not a socket: not replacing it"));

        // A socket file whose service is gone (bound, never closed cleanly).
        Path stale = tmp.resolve("stale.sock");
        try (java.nio.channels.ServerSocketChannel s = java.nio.channels.ServerSocketChannel
                .open(java.net.StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        WatchdogService replacing = new WatchdogService(stale, other, WatchdogService.currentUser());
        replacing.bind();
        replacing.close();
        assertFalse(Files.exists(stale), "close removes the socket");
    }

    @Test
    void nobodyListening() {
        IOException e = assertThrows(IOException.class,
                () -> ServiceConnection.connect(tmp.resolve("absent.sock"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage() != null);
    }
}
