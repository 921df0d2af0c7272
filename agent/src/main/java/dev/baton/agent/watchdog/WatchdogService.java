package dev.baton.agent.watchdog;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The fencing watchdog as a service of its own ({@code watchdog.service_socket},
 * deploy/systemd/baton-watchdog.service): a process in another unit, cgroup and session than the
 * agent, so that nothing done to the agent's process tree (a signal to its process group, a
 * frozen unit) reaches it.
 *
 * <p>It listens on a Unix socket (mode 0600) and serves one agent at a time. A connecting peer
 * whose user (SO_PEERCRED) is not the service's own is refused. The service greets an accepted
 * agent with {@code baton-watchdog 1 <pid>}, then reads the same lines the child watchdog reads on
 * its standard input ({@link FencingWatchdog}: {@code arm}, {@code disarm}, {@code exit}) under
 * the same rules. The connection closing is the end of the input: armed, it fences at once, as
 * the child does when its agent dies. Unlike the child, the service then waits for the next agent.
 * A refused peer reads one line, {@code refused <reason>}, and the connection is closed.
 */
public final class WatchdogService implements Closeable {
    static final Logger LOG = FencingWatchdog.LOG;

    /** The first word of the greeting. */
    public static final String GREETING = "baton-watchdog";
    /** The protocol version in the greeting: the lines of {@link FencingWatchdog}. */
    public static final int VERSION = 1;
    /** The first word of a refusal. */
    public static final String REFUSED = "refused";

    private final Path socket;
    private final FencingWatchdog watchdog;
    private final UserPrincipal allowed;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicReference<SocketChannel> session = new AtomicReference<>();
    private volatile ServerSocketChannel server;
    private volatile Thread sessionThread;

    /**
     * @param socket   where to listen
     * @param watchdog the rules, kept from one agent's connection to the next
     * @param allowed  the only user that may connect (the service's own: {@link #currentUser})
     */
    public WatchdogService(Path socket, FencingWatchdog watchdog, UserPrincipal allowed) {
        if (socket == null || watchdog == null || allowed == null) {
            throw new IllegalArgumentException("socket, watchdog and allowed user are required");
        }
        this.socket = socket;
        this.watchdog = watchdog;
        this.allowed = allowed;
    }

    /** The user this process runs as (the owner of /proc/self, which is the effective uid). */
    public static UserPrincipal currentUser() throws IOException {
        return Files.getOwner(Path.of("/proc/self"));
    }

    /**
     * Creates the socket, mode 0600. A socket file left behind by a service that is gone is
     * replaced; a live one, or any other file, is an error.
     *
     * @throws IOException saying what is in the way
     */
    public synchronized void bind() throws IOException {
        if (server != null) {
            throw new IllegalStateException("already bound");
        }
        BasicFileAttributes attrs = null;
        try {
            attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            // nothing there
        }
        if (attrs != null) {
            if (!attrs.isOther()) {
                throw new IOException(socket + " exists and is not a socket: not replacing it");
            }
            boolean live;
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                live = true;
            } catch (IOException e) {
                live = false;
            }
            if (live) {
                throw new IOException(socket + " is in use by another watchdog service");
            }
            Files.deleteIfExists(socket); // left behind: nobody listens
        }
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(socket));
            // Java cannot set the umask: the mode follows at once; the peer check covers the moment between.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        server = s;
        LOG.info("fencing watchdog service listening on " + socket + " (pid " + ProcessHandle.current().pid() + ")");
    }

    /** Accepts agents, one at a time, until {@link #close}. */
    public void serve() throws InterruptedException {
        ServerSocketChannel s = server;
        if (s == null) {
            throw new IllegalStateException("not bound");
        }
        while (!closed.get()) {
            SocketChannel c;
            try {
                c = s.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (closed.get()) {
                    break;
                }
                LOG.warning("cannot accept a connection on " + socket + ": " + e.getMessage());
                Thread.sleep(100);
                continue;
            }
            handle(c);
        }
        Thread t = sessionThread;
        if (t != null) {
            t.join(5_000);
        }
    }

    private void handle(SocketChannel c) {
        String refusal = refusal(c);
        if (refusal == null && !claimSession(c)) {
            refusal = "another agent is connected";
        }
        if (refusal != null) {
            LOG.warning("refused a connection on " + socket + ": " + refusal);
            sendQuietly(c, REFUSED + " " + refusal + "\n");
            closeQuietly(c);
            return;
        }
        Thread t = new Thread(() -> runSession(c), "watchdog-session");
        t.setDaemon(true);
        sessionThread = t;
        t.start();
    }

    /**
     * Makes {@code c} the session. A session that is ending (an agent that closed its connection
     * gracefully and is being replaced by its restart) gets {@link #HANDOVER_GRACE} to finish, so the
     * next agent is not refused for arriving a moment early.
     */
    private boolean claimSession(SocketChannel c) {
        long deadline = System.nanoTime() + HANDOVER_GRACE.toNanos();
        while (!session.compareAndSet(null, c)) {
            if (System.nanoTime() - deadline > 0 || closed.get()) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static final java.time.Duration HANDOVER_GRACE = java.time.Duration.ofSeconds(2);

    /** Why this peer may not connect, or null. */
    private String refusal(SocketChannel c) {
        UnixDomainPrincipal peer;
        try {
            peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot identify the peer (" + e.getMessage() + ")";
        }
        if (peer == null || !allowed.equals(peer.user())) {
            return "user " + (peer == null ? "unknown" : peer.user().getName()) + " is not " + allowed.getName();
        }
        return null;
    }

    private void runSession(SocketChannel c) {
        try {
            if (!sendQuietly(c, GREETING + " " + VERSION + " " + ProcessHandle.current().pid() + "\n")) {
                return;
            }
            LOG.info("an agent connected");
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                    StandardCharsets.US_ASCII));
            int status = watchdog.run(in);
            if (!closed.get()) {
                LOG.info(status == 0 ? "the agent disconnected; waiting for the next one"
                        : "the agent's connection ended while armed; fenced. Waiting for the next agent");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(c);
            session.compareAndSet(c, null);
        }
    }

    private static boolean sendQuietly(SocketChannel c, String line) {
        try {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                c.write(b);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closed either way
        }
    }

    /**
     * Stops accepting, closes the agent's connection and removes the socket (SIGTERM, systemctl
     * stop). A connection closed this way is not the agent's end: the watchdog is told that it is
     * {@link FencingWatchdog#terminated terminated} first, so it does not fence.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watchdog.terminated();
        ServerSocketChannel s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closed either way
            }
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.warning("cannot remove " + socket + ": " + e.getMessage());
            }
        }
        SocketChannel c = session.get();
        if (c != null) {
            closeQuietly(c);
        }
    }
}
