package dev.baton.agent.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The JDK server's own timers and connection limit, as {@link RestLimits} configures them: stalled
 * connections are closed by the server, and connections beyond the limit at once. An IT because
 * the JDK reads these settings once per JVM, at its first HTTP server: this class must create the
 * first one of its JVM (no other agent IT starts one), which the unit-test JVM cannot promise.
 */
class RestApiLimitsIT {
    private static final int MAX_CONNECTIONS = 40;
    private static final RestLimits LIMITS = new RestLimits(MAX_CONNECTIONS, Duration.ofSeconds(1),
            Duration.ofSeconds(150), Duration.ofSeconds(4), 64 * 1024);

    private final List<Socket> sockets = new ArrayList<>();
    private RestApi server;

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Socket connect(String request) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        sockets.add(s);
        if (!request.isEmpty()) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(UTF_8));
            out.flush();
        }
        return s;
    }

    /** True when the server has closed {@code s} (end of stream within {@code wait}), false if still open. */
    private static boolean closedByServer(Socket s, Duration wait) throws IOException {
        s.setSoTimeout((int) wait.toMillis());
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Test
    void stalledConnectionsAreClosedAndConnectionsBeyondTheLimitRefused() throws Exception {
        assertNull(System.getProperty("sun.net.httpserver.maxReqTime"),
                "another HTTP server configured the JDK's timers in this JVM first");
        server = new RestApi("127.0.0.1", 0, () -> RestApiTest.healthyPrimary().build(), () -> 5_000_000_000_000L,
                "test-1.0", 10, LIMITS);
        server.start();
        List<Socket> halfSent = new ArrayList<>();
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            halfSent.add(connect("GET /prim"));
            silent.add(connect(""));
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> primary = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/primary")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, primary.statusCode());

        // Half a request line: closed after the request timeout (1 s, checked every second).
        for (Socket s : halfSent) {
            assertTrue(closedByServer(s, Duration.ofSeconds(10)), "a half-sent request was not closed");
        }
        // Nothing sent: closed after the idle timeout (4 s, checked every second).
        for (Socket s : silent) {
            assertTrue(closedByServer(s, Duration.ofSeconds(15)), "a silent connection was not closed");
        }

        // Over the limit: the server closes the extra connections as it accepts them.
        List<Socket> many = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS + 5; i++) {
            many.add(connect(""));
        }
        List<Integer> closed = new ArrayList<>();
        for (int i = 0; i < many.size(); i++) {
            if (closedByServer(many.get(i), Duration.ofMillis(50))) {
                closed.add(i);
            }
        }
        // Some, and the last ones: the first were accepted (an idle timeout would have closed them
        // first). The JDK counts a connection until it has noticed it closed, so the exact number
        // accepted depends on how many closed connections it still counts.
        assertTrue(closed.size() >= 5 && !closed.contains(0) && closed.contains(many.size() - 1),
                "closed at once: connections " + closed + " of " + many.size());
    }
}
