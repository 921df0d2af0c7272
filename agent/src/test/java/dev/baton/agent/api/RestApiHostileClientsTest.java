package dev.baton.agent.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.NodeState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The REST server against slow, stalled and malformed clients, over real loopback HTTP in-process.
 * The closing of stalled connections by the JDK's timers is in {@code RestApiLimitsIT}: those
 * timers are configured once per JVM, and the unit-test JVM runs other HTTP servers first.
 */
class RestApiHostileClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: a health check answers in milliseconds; the old fixed pool made it wait > 40 s. */
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(2);

    private final AtomicReference<NodeState> state = new AtomicReference<>(RestApiTest.healthyPrimary().build());
    private final List<Socket> sockets = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(ANSWER_WITHIN).build();
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

    private String start(RestApi.Actions actions) throws IOException {
        server = new RestApi("127.0.0.1", 0, state::get, () -> 5_000_000_000_000L, "test-1.0", 10);
        server.setActions(actions);
        server.start();
        return "http://127.0.0.1:" + server.port();
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

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(ANSWER_WITHIN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
            Thread.sleep(5);
        }
    }

    @Test
    void healthChecksAnswerWhileSixteenClientsStallMidRequestAndSixteenSendNothing() throws Exception {
        String base = start(null);
        for (int i = 0; i < 16; i++) {
            connect("GET /heal");
            connect("");
        }
        // The JDK reads request lines on handler threads: each half-sent request now holds one.
        await("16 handler threads read the stalled requests", () -> server.busyThreads() >= 16);
        for (String path : new String[] {"/primary", "/health", "/primary", "/replica"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)));
            assertEquals(path.equals("/replica") ? 503 : 200, r.statusCode(), path);
        }
    }

    @Test
    void aFiveHundredSaysNothingOfTheCauseButAnIdForTheLog() throws Exception {
        String base = start(null);
        state.set(null); // the state supplier fails: a NullPointerException inside the handler
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/primary")));
        assertEquals(500, r.statusCode());
        String error = JSON.readTree(r.body()).path("error").asText();
        assertTrue(error.matches("internal error \\(error id [0-9a-f]{1,8}, in the agent's log\\)"), error);
        assertFalse(r.body().contains("Exception") || r.body().contains("null"), r.body());
    }

    @Test
    void aMalformedQueryIsABadRequest() throws Exception {
        start(null);
        // java.net.http cannot even send it; the JDK server refuses the URI before the handler sees it.
        Socket s = connect("GET /replica?lag=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
        s.setSoTimeout((int) ANSWER_WITHIN.toMillis());
        String status = new String(s.getInputStream().readNBytes(12), UTF_8);
        assertEquals("HTTP/1.1 400", status);
    }

    @Test
    void aBodyOverTheLimitIs413AndNeverReachesTheActions() throws Exception {
        List<String> seen = new ArrayList<>();
        String base = start((method, path, query, body) -> {
            seen.add(body);
            return new RestApi.Answer(200, "ok");
        });
        int max = RestLimits.DEFAULTS.maxBodyBytes();
        String big = "x".repeat(max + 1);
        // With a Content-Length, and chunked (no length).
        HttpResponse<String> declared = send(HttpRequest.newBuilder(URI.create(base + "/restart"))
                .POST(HttpRequest.BodyPublishers.ofString(big)));
        assertEquals(413, declared.statusCode());
        HttpResponse<String> chunked = send(HttpRequest.newBuilder(URI.create(base + "/restart"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(UTF_8)))));
        assertEquals(413, chunked.statusCode());
        assertEquals(List.of(), seen);
        HttpResponse<String> fits = send(HttpRequest.newBuilder(URI.create(base + "/restart"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(max))));
        assertEquals(200, fits.statusCode());
        assertEquals(1, seen.size());
    }

    @Test
    void theJdkServerGetsEveryLimitAsAProperty() {
        RestLimits l = new RestLimits(40, Duration.ofSeconds(5), Duration.ofSeconds(200), Duration.ofSeconds(30), 1024);
        assertEquals(Map.of(
                "jdk.httpserver.maxConnections", "40",
                "sun.net.httpserver.maxReqTime", "5",
                "sun.net.httpserver.maxRspTime", "200",
                "sun.net.httpserver.timerMillis", "1000",
                "sun.net.httpserver.idleInterval", "30",
                "sun.net.httpserver.clockTick", "1000",
                "sun.net.httpserver.maxIdleConnections", "40",
                "sun.net.httpserver.maxReqHeaders", "100",
                "sun.net.httpserver.maxReqHeaderSize", "32768",
                "sun.net.httpserver.nodelay", "true"), l.jdkProperties());
        assertEquals(80, l.maxThreads());
        // The response timeout outlasts the longest action's wait.
        assertEquals(Duration.ofSeconds(150), RestLimits.forActionsWaiting(Duration.ofSeconds(120)).responseTimeout());
        assertEquals(Duration.ofSeconds(330), RestLimits.forActionsWaiting(Duration.ofSeconds(300)).responseTimeout());
    }
}
