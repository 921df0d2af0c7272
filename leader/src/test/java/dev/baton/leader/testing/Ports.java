package dev.baton.leader.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for test servers.
 *
 * <p>Ports are picked at random below the kernel's ephemeral range (so outgoing connections of
 * the test itself cannot occupy them), checked by binding, and never handed out twice in the same
 * JVM. Another process may still take a port before the server binds it, so launchers should
 * retry with new ports when a bind fails ({@link EtcdServer#start()} does).
 *
 * <p>Failsafe runs two IT classes at once, in two JVMs: with {@code baton.test.fork} set (the fork's
 * number, 1 or 2) each fork draws from its own window, so two JVMs never pick the same port; the
 * upper half of that window is left to {@code dev.baton.cli.local.Ports}.
 */
public final class Ports {

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final int LOWEST = 10_000;
    /** Each fork's window: ports LOWEST + (fork - 1) * FORK_WINDOW, for FORK_WINDOW ports. */
    private static final int FORK_WINDOW = 11_000;

    private Ports() {
    }

    /** A port on 127.0.0.1 that was free a moment ago and was not returned before by this JVM. */
    public static int freePort() {
        int ephemeralLow = ephemeralRangeLow();
        int low = LOWEST;
        int high = ephemeralLow;
        Integer fork = Integer.getInteger("baton.test.fork");
        if (fork != null && fork >= 1 && fork <= 2) {
            low = LOWEST + (fork - 1) * FORK_WINDOW;
            high = Math.min(ephemeralLow, low + FORK_WINDOW / 2);
        }
        if (high - low >= 1_000) {
            for (int attempt = 0; attempt < 200; attempt++) {
                int candidate = ThreadLocalRandom.current().nextInt(low, high);
                if (!HANDED_OUT.contains(candidate) && canBind(candidate) && HANDED_OUT.add(candidate)) {
                    return candidate;
                }
            }
        }
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = bindAny();
            if (HANDED_OUT.add(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("could not find a free port on 127.0.0.1");
    }

    /** The loopback address every test server listens on. */
    public static InetAddress loopback() {
        try {
            return InetAddress.getByName("127.0.0.1");
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(loopback(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int bindAny() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(loopback(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind a socket on 127.0.0.1", e);
        }
    }

    private static int ephemeralRangeLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
