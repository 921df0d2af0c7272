package dev.baton.cli.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports, never the same one twice in this process.
 *
 * <p>The integration tests run two IT classes at once in two JVMs: there {@code baton.test.fork}
 * (1 or 2) gives each JVM its own window below the ephemeral range (the upper half of the window
 * the test etcd servers draw from, see leader's testing Ports), so two JVMs never pick the same port.
 */
public final class Ports {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();
    private static final int LOWEST = 10_000;
    private static final int FORK_WINDOW = 11_000;

    private Ports() {
    }

    public static synchronized int free() {
        Integer fork = Integer.getInteger("baton.test.fork");
        if (fork != null && fork >= 1 && fork <= 2) {
            int low = LOWEST + (fork - 1) * FORK_WINDOW + FORK_WINDOW / 2;
            for (int attempt = 0; attempt < 500; attempt++) {
                int candidate = ThreadLocalRandom.current().nextInt(low, low + FORK_WINDOW / 2);
                if (!HANDED_OUT.contains(candidate) && canBind(candidate)) {
                    HANDED_OUT.add(candidate);
                    return candidate;
                }
            }
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = s.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
        throw new IllegalStateException("no free loopback port after 100 attempts");
    }

    private static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
