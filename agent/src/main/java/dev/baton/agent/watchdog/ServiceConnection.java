package dev.baton.agent.watchdog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The agent's connection to the watchdog service (the script of {@link WatchdogScript} run with
 * {@code --listen SOCKET} by its own unit), shaped as the {@link Process} that
 * {@link ProcessWatchdog} feeds: its output stream is the socket, it is alive until the service
 * closes the connection (or the agent does), and its pid is the service's (from the greeting).
 * So the service gets exactly the lines a child watchdog gets on its standard input.
 */
final class ServiceConnection extends Process {
    /** The first word of the service's greeting, {@code baton-watchdog <version> <pid>}. */
    static final String GREETING = "baton-watchdog";
    /** The protocol version in the greeting: the lines the child reads on its standard input. */
    static final int VERSION = 1;
    /** The first word of a refusal, {@code refused <reason>}. */
    static final String REFUSED = "refused";

    private final SocketChannel channel;
    private final OutputStream out;
    private final long pid;
    private final CountDownLatch ended;

    private ServiceConnection(SocketChannel channel, long pid, CountDownLatch ended) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.pid = pid;
        this.ended = ended;
    }

    /**
     * Connects, checks that the service runs as this process's user and reads its greeting.
     *
     * @throws IOException nobody listens, the service refused, or it is not a Baton watchdog
     */
    static ServiceConnection connect(Path socket, Duration greetingTimeout) throws IOException {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        try {
            UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            UserPrincipal self = Files.getOwner(Path.of("/proc/self"));
            if (peer == null || !self.equals(peer.user())) {
                throw new IOException("the process listening on " + socket + " runs as "
                        + (peer == null ? "an unknown user" : peer.user().getName()) + ", not as " + self.getName());
            }
            CompletableFuture<String> greeting = new CompletableFuture<>();
            CountDownLatch ended = new CountDownLatch(1);
            Thread reader = new Thread(() -> read(c, greeting, ended), "baton-watchdog-service-reader");
            reader.setDaemon(true);
            reader.start();
            String line;
            try {
                line = greeting.get(greetingTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("no greeting from " + socket + " within " + greetingTimeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                throw new IOException("no greeting from " + socket + ": " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the greeting of " + socket);
            }
            String[] f = line.strip().split("\\s+", 2);
            if (f[0].equals(REFUSED)) {
                throw new IOException("the watchdog service at " + socket + " refused the connection: "
                        + (f.length > 1 ? f[1] : "no reason given"));
            }
            String[] g = line.strip().split("\\s+");
            if (g.length != 3 || !g[0].equals(GREETING)
                    || !g[1].equals(Integer.toString(VERSION))) {
                throw new IOException("the process listening on " + socket + " is not a Baton watchdog service "
                        + "of protocol " + VERSION);
            }
            long pid;
            try {
                pid = Long.parseLong(g[2]);
            } catch (NumberFormatException e) {
                throw new IOException("the watchdog service at " + socket + " sent a bad greeting");
            }
            return new ServiceConnection(c, pid, ended);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Reads the greeting line, then waits for the end of the connection (nothing else is sent). */
    private static void read(SocketChannel c, CompletableFuture<String> greeting, CountDownLatch ended) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(256);
        try {
            while (true) {
                b.clear();
                int n = c.read(b);
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n && !greeting.isDone(); i++) {
                    byte x = b.get(i);
                    if (x == '\n') {
                        greeting.complete(line.toString(StandardCharsets.US_ASCII));
                    } else if (line.size() < 200) {
                        line.write(x);
                    }
                }
            }
        } catch (IOException e) {
            // closed: by us (destroy) or by the service
        } finally {
            greeting.completeExceptionally(new IOException("the connection closed"));
            ended.countDown();
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return out;
    }

    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        ended.await();
        return 0;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    /** 0 once the connection has ended. */
    @Override
    public int exitValue() {
        if (ended.getCount() > 0) {
            throw new IllegalThreadStateException("connected");
        }
        return 0;
    }

    /** Closes the connection (the service sees the end of its input). */
    @Override
    public void destroy() {
        try {
            channel.close();
        } catch (IOException e) {
            // closed either way
        }
    }

    @Override
    public Process destroyForcibly() {
        destroy();
        return this;
    }

    @Override
    public boolean isAlive() {
        return ended.getCount() > 0;
    }

    /** The service's pid, from its greeting. */
    @Override
    public long pid() {
        return pid;
    }

    @Override
    public String toString() {
        return "watchdog service connection (pid " + pid + ")";
    }
}
