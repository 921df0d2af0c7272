package dev.baton.cli;

import com.sun.net.httpserver.HttpServer;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdClusterStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a session reads: etcd's JSON gateway first, jetcd only as the fallback (in-process HTTP servers, no etcd). */
class ClusterSessionTest {

    private static final KeyLayout LAYOUT = new KeyLayout("/service/", "demo");

    /** Stands for the jetcd store: reaching it means the session fell back. */
    private static final class FellBackToJetcd extends RuntimeException {
    }

    private static final Supplier<EtcdClusterStore> NO_JETCD = () -> {
        throw new FellBackToJetcd();
    };

    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void aGatewayAnswerIsTheSnapshotWithoutJetcd() throws IOException {
        String leader = Base64.getEncoder().encodeToString("/service/demo/leader".getBytes(UTF_8));
        String gateway = server(200, "{\"header\":{\"revision\":\"8\"},\"kvs\":[{\"key\":\"" + leader
                + "\",\"create_revision\":\"5\",\"mod_revision\":\"5\",\"value\":\"bm9kZTE=\",\"lease\":\"99\"}]}");
        try (ClusterSession session = new ClusterSession(target(gateway), NO_JETCD)) {
            assertEquals("node1", session.snapshot().leader().name());
            assertEquals(8, session.snapshot().revision());
        }
    }

    @Test
    void anEndpointThatIsNoGatewayMeansReadingThroughJetcd() throws IOException {
        String notAGateway = server(404, "404 page not found");
        try (ClusterSession session = new ClusterSession(target(closedPort(), notAGateway), NO_JETCD)) {
            assertThrows(FellBackToJetcd.class, session::snapshot);
        }
    }

    @Test
    void noReachableEndpointIsExitOneNamingEachEndpoint() throws IOException {
        String one = closedPort();
        String two = closedPort();
        try (ClusterSession session = new ClusterSession(target(one, two), NO_JETCD)) {
            ExitException e = assertThrows(ExitException.class, session::snapshot);
            assertEquals(BaseCommand.EXIT_FAILED, e.code());
            assertTrue(e.getMessage().startsWith("cannot read cluster demo: etcd does not answer at " + one + " ("),
                    e.getMessage());
            assertTrue(e.getMessage().contains("), " + two + " ("), e.getMessage());
        }
    }

    private static ClusterOptions.Target target(String... endpoints) {
        return new ClusterOptions.Target(List.of(endpoints), LAYOUT);
    }

    private String server(int status, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v3/kv/range", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(bytes);
            }
        });
        server.start();
        servers.add(server);
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** A loopback port nothing listens on (connection refused at once). */
    private static String closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }
}
