package dev.baton.leader.etcd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing of etcd's JSON gateway answers, and the three outcomes of a read, against in-process HTTP servers. */
class EtcdGatewayReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KeyLayout LAYOUT = new KeyLayout("/service/", "demo");

    /** A RangeResponse as etcd 3.5 sends it for a running cluster (trimmed to a few keys). */
    private static final String RUNNING = """
            {"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437",
                       "revision":"1234","raft_term":"2"},
             "kvs":[
              {"key":"%s","create_revision":"5","mod_revision":"5","version":"1",
               "value":"%s","lease":"7587882024370413059"},
              {"key":"%s","create_revision":"3","mod_revision":"4","version":"2","value":"%s"},
              {"key":"%s","create_revision":"7","mod_revision":"1230","version":"40",
               "value":"%s","lease":"7587882024370413059"},
              {"key":"%s","create_revision":"8","mod_revision":"9","version":"2","value":"%s"},
              {"key":"%s","create_revision":"10","mod_revision":"10","version":"1","value":"%s"}],
             "count":"5"}
            """.formatted(
            b64("/service/demo/leader"), b64("node1"),
            b64("/service/demo/initialize"), b64("7301234567890123456"),
            b64("/service/demo/members/node1"), b64("{\"état\":\"ü\"}"),
            b64("/service/demo/config"), b64("{\"ttl\":30}"),
            b64("/service/other/leader"), b64("node9"));

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
    }

    @Test
    void aRunningClusterIsDecodedLikeTheStoreDecodesIt() throws IOException {
        ClusterSnapshot s = EtcdGatewayReader.parse(LAYOUT, JSON.readTree(RUNNING));
        assertEquals(1234, s.revision(), "64-bit numbers come as strings");
        assertEquals(new LeaderKey("node1", 7587882024370413059L, 5, 5), s.leader());
        assertEquals(new VersionedValue("7301234567890123456", 3, 4, 0), s.initialize(), "no lease: the field is left out");
        assertEquals(Map.of("node1", new MemberKey("node1", "{\"état\":\"ü\"}", 7587882024370413059L, 1230)), s.members());
        assertEquals(new VersionedValue("{\"ttl\":30}", 8, 9, 0), s.config());
    }

    @Test
    void zeroFieldsAreLeftOutOfProto3Json() throws IOException {
        // An empty value (initialize while bootstrap runs) has no "value" field at all.
        ClusterSnapshot s = EtcdGatewayReader.parse(LAYOUT, JSON.readTree("""
                {"header":{"revision":"17"},
                 "kvs":[{"key":"%s","create_revision":"17","mod_revision":"17","version":"1"}],"count":"1"}
                """.formatted(b64("/service/demo/initialize"))));
        assertEquals(new VersionedValue("", 17, 17, 0), s.initialize());

        // No key under the prefix: no "kvs" and no "count".
        assertEquals(new ClusterSnapshot(3, null, null, null, Map.of(), null, null, null, null),
                EtcdGatewayReader.parse(LAYOUT, JSON.readTree("{\"header\":{\"revision\":\"3\"}}")));
    }

    @Test
    void theRangeEndIsThePrefixWithItsLastByteIncremented() {
        assertArrayEquals("/service/demo0".getBytes(UTF_8), EtcdGatewayReader.rangeEnd("/service/demo/".getBytes(UTF_8)));
        assertArrayEquals(new byte[] {'a', (byte) 0x80}, EtcdGatewayReader.rangeEnd(new byte[] {'a', 0x7f}));
        assertArrayEquals(new byte[] {'a', 'c'}, EtcdGatewayReader.rangeEnd(new byte[] {'a', 'b', (byte) 0xff}));
        assertArrayEquals(new byte[] {0}, EtcdGatewayReader.rangeEnd(new byte[] {(byte) 0xff, (byte) 0xff}));
    }

    @Test
    void theRequestAsksForThePrefixRange() throws IOException {
        var request = JSON.readTree(EtcdGatewayReader.rangeRequest("/service/demo/"));
        assertEquals(b64("/service/demo/"), request.path("key").asText());
        assertEquals(b64("/service/demo0"), request.path("range_end").asText());
    }

    @ParameterizedTest
    @CsvSource({"h:2379, h:2379", "http://h:2379, h:2379", "http://h:2379//, h:2379"})
    void endpointsBecomeHostAndPort(String endpoint, String hostPort) {
        assertEquals(hostPort, Endpoints.parse(endpoint).hostPort());
    }

    @Test
    void theFirstEndpointThatAnswersAsAGatewayGivesTheSnapshot() throws IOException {
        String notAGateway = server(404, "404 page not found");
        String gateway = server(200, RUNNING);
        EtcdGatewayReader.Result result = reader(closedPort(), notAGateway, "http://" + gateway + "/").read();

        EtcdGatewayReader.Read read = assertInstanceOf(EtcdGatewayReader.Read.class, result);
        assertEquals("node1", read.snapshot().leader().name());
        assertEquals(2, requests.size(), "one request to each live endpoint");
        assertEquals(new String(EtcdGatewayReader.rangeRequest(LAYOUT.prefix()), UTF_8), requests.get(1));
    }

    @Test
    void endpointsThatAnswerButNotAsAGatewayMeanFallBackToJetcd() throws IOException {
        String notFound = server(404, "404 page not found");
        String garbage = server(200, "<html>not json");
        assertInstanceOf(EtcdGatewayReader.NotAGateway.class, reader(closedPort(), notFound, garbage).read());
    }

    @Test
    void whenNoEndpointCanBeReachedEachIsNamedWithItsReason() throws IOException {
        String one = closedPort();
        String two = closedPort();
        EtcdGatewayReader.Unreachable result = assertInstanceOf(EtcdGatewayReader.Unreachable.class,
                reader(one, "http://" + two).read());
        assertEquals(2, result.endpoints().size());
        assertTrue(result.endpoints().get(0).startsWith(one + " ("), result.endpoints().toString());
        assertTrue(result.endpoints().get(1).startsWith(two + " ("), result.endpoints().toString());
    }

    private EtcdGatewayReader reader(String... endpoints) {
        return new EtcdGatewayReader(List.of(endpoints), LAYOUT, Duration.ofSeconds(5));
    }

    /** An in-process HTTP server answering {@code /v3/kv/range} with {@code status} and {@code body}. */
    private String server(int status, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v3/kv/range", exchange -> {
            synchronized (requests) {
                requests.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            }
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
