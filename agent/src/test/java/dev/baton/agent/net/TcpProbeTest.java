package dev.baton.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TcpProbeTest {
    @Test
    void aListeningPortIsAcceptedAClosedOneRefused() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(TcpProbe.Answer.ACCEPTED, TcpProbe.probe("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(1)).answer());
            closed = s.getLocalPort();
        }
        TcpProbe.Result r = TcpProbe.probe("127.0.0.1", closed, Duration.ofSeconds(1));
        assertEquals(TcpProbe.Answer.REFUSED, r.answer(), r.detail());
    }

    @Test
    void aHostThatDoesNotAnswerIsSilentAfterTheLimitNotTheCallersTimeout() throws Exception {
        // A listener that never accepts, its backlog full: Linux drops further SYNs unanswered,
        // as a powered-off host's network does.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> filling = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    java.net.Socket c = new java.net.Socket();
                    try {
                        c.connect(new java.net.InetSocketAddress("127.0.0.1", s.getLocalPort()), 200);
                        filling.add(c);
                    } catch (java.io.IOException full) {
                        c.close();
                        break;
                    }
                }
                long start = System.nanoTime();
                TcpProbe.Result r = TcpProbe.probe("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(30));
                assertEquals(TcpProbe.Answer.SILENT, r.answer(), r.detail());
                assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(),
                        "the probe's own limit, not the 30 s given (a generous deadline)");
            } finally {
                for (java.net.Socket c : filling) {
                    c.close();
                }
            }
        }
    }

    @Test
    void anUnknownHostIsLeftToTheCaller() {
        assertEquals(TcpProbe.Answer.OTHER, TcpProbe.probe("no-such-host.invalid", 5432, Duration.ofSeconds(1)).answer());
    }

    @Test
    void theWaitIsBoundedByTheSilenceLimit() {
        assertTrue(TcpProbe.SILENT_AFTER.compareTo(Duration.ofSeconds(1)) < 0,
                "shorter than the drivers' whole-second connect timeouts");
    }
}
