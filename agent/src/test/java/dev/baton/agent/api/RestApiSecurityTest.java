package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.NodeState;
import dev.baton.config.BasicAuth;
import dev.baton.config.RestApiConfig;
import dev.baton.config.VerifyClient;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API's HTTPS, client certificates, access checks and headers, over real loopback sockets. */
class RestApiSecurityTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final BasicAuth AUTH = new BasicAuth("patroni", "s3cret-pw");

    @TempDir
    Path dir;
    private TlsFixture tls;
    private final NodeState state = RestApiTest.healthyPrimary().build();
    private final AtomicInteger actionsRun = new AtomicInteger();
    private final List<RestApi> servers = new ArrayList<>();

    @BeforeEach
    void certificates() {
        tls = new TlsFixture(dir);
    }

    @AfterEach
    void close() {
        servers.forEach(RestApi::close);
    }

    private RestApi last;

    private String start(RestApiConfig config) throws IOException {
        RestApi api = new RestApi("127.0.0.1", 0, config, host -> List.of(), () -> state, () -> 1L, "test-1.0", 10,
                RestLimits.DEFAULTS);
        api.setActions((method, path, query, body) -> {
            actionsRun.incrementAndGet();
            return new RestApi.Answer(200, "{\"done\":true}");
        });
        api.start();
        servers.add(api);
        last = api;
        return (config.https() ? "https" : "http") + "://127.0.0.1:" + api.port();
    }

    private static HttpClient client(SSLContext ssl) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        return (ssl == null ? b : b.sslContext(ssl)).build();
    }

    private static HttpResponse<String> get(HttpClient c, String url) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient c, String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void httpsIsServedAndPlainHttpToItsPortFails() throws Exception {
        String base = start(tls.https(VerifyClient.NONE));
        assertEquals(200, get(client(tls.anonymousClient()), base + "/patroni").statusCode());
        assertThrows(IOException.class, () -> get(client(null), base.replace("https:", "http:") + "/patroni"));
    }

    @Test
    void withoutVerifyClientNoCertificateIsNeeded() throws Exception {
        String base = start(tls.https(VerifyClient.NONE));
        assertEquals(200, post(client(tls.anonymousClient()), base + "/reload").statusCode());
        assertEquals(1, actionsRun.get());
    }

    @Test
    void optionalClientCertificateIsNeededForUnsafeRequestsOnly() throws Exception {
        String base = start(tls.https(VerifyClient.OPTIONAL));
        HttpClient anonymous = client(tls.anonymousClient());
        assertEquals(200, get(anonymous, base + "/primary").statusCode());
        HttpResponse<String> refused = post(anonymous, base + "/reload");
        assertEquals(403, refused.statusCode());
        assertEquals("client certificate required", refused.body());
        assertEquals(0, actionsRun.get());

        assertEquals(200, post(client(tls.client()), base + "/reload").statusCode());
        assertEquals(1, actionsRun.get());
        // A certificate the cluster CA did not issue: the JDK client does not offer it (the server names
        // its CA in the request), another client would fail the handshake; never reaches the action.
        try {
            assertEquals(403, post(client(tls.stranger()), base + "/reload").statusCode());
        } catch (IOException handshakeRefused) {
            // as good
        }
        // Presented anyway, it fails the handshake: an unverified certificate never counts.
        assertThrows(IOException.class, () -> post(client(tls.pushyStranger()), base + "/reload"));
        assertEquals(1, actionsRun.get());
    }

    @Test
    void requiredClientCertificateIsNeededForGetsToo() throws Exception {
        String base = start(tls.https(VerifyClient.REQUIRED));
        assertThrows(IOException.class, () -> get(client(tls.anonymousClient()), base + "/patroni"));
        assertThrows(IOException.class, () -> get(client(tls.stranger()), base + "/patroni"));
        assertThrows(IOException.class, () -> get(client(tls.pushyStranger()), base + "/patroni"));
        HttpClient member = client(tls.client());
        assertEquals(200, get(member, base + "/patroni").statusCode());
        assertEquals(200, post(member, base + "/restart").statusCode());
    }

    @Test
    void basicAuthenticationGuardsUnsafeMethodsAndLeavesGetsOpen() throws Exception {
        String base = start(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH, List.of(),
                false, Map.of(), Map.of()));
        HttpClient c = client(null);
        assertEquals(200, get(c, base + "/primary").statusCode());

        HttpResponse<String> none = post(c, base + "/reinitialize");
        assertEquals(401, none.statusCode());
        assertEquals("Basic realm=\"Baton\"", none.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("no auth header received", none.body());

        HttpResponse<String> wrong = post(c, base + "/reinitialize", "Authorization",
                new BasicAuth("patroni", "wrong").header());
        assertEquals(401, wrong.statusCode());
        assertEquals("not authenticated", wrong.body());
        assertFalse(wrong.body().contains("s3cret"));
        assertEquals(0, actionsRun.get());

        assertEquals(200, post(c, base + "/reinitialize", "Authorization", AUTH.header(),
                "Content-Type", "application/json").statusCode());
        assertEquals(1, actionsRun.get());
    }

    @Test
    void patchAndPutOfTheConfigArePassedOnlyWithCredentials() throws Exception {
        String base = start(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH, List.of(),
                false, Map.of(), Map.of()));
        HttpClient c = client(null);
        int passed = 0;
        for (String method : List.of("PATCH", "PUT")) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/config")).timeout(TIMEOUT)
                    .method(method, HttpRequest.BodyPublishers.ofString("{\"pause\":true}"));
            assertEquals(401, c.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode(), method);
            assertEquals(passed, actionsRun.get(), "refused before the action");
            b.header("Authorization", AUTH.header());
            assertEquals(200, c.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode(), method);
            assertEquals(++passed, actionsRun.get());
        }
    }

    @Test
    void allowlistRefusesOtherAddressesBeforeAuthentication() throws Exception {
        HttpClient c = client(null);
        String elsewhere = start(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH,
                List.of("10.0.0.0/8"), false, Map.of(), Map.of()));
        HttpResponse<String> r = post(c, elsewhere + "/restart", "Authorization", AUTH.header());
        assertEquals(403, r.statusCode());
        assertEquals("Access is denied", r.body());
        assertEquals(200, get(c, elsewhere + "/health").statusCode());

        String loopback = start(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH,
                List.of("127.0.0.0/8"), false, Map.of(), Map.of()));
        assertEquals(401, post(c, loopback + "/restart").statusCode());
        assertEquals(200, post(c, loopback + "/restart", "Authorization", AUTH.header()).statusCode());
        assertEquals(1, actionsRun.get());
    }

    @Test
    void aBrowserShapedRequestIsRefusedBeforeAnyActionRuns() throws Exception {
        String base = start(new RestApiConfig("127.0.0.1:0", null));
        HttpClient c = client(null);
        HttpResponse<String> form = post(c, base + "/restart", "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(415, form.statusCode());
        assertEquals(415, post(c, base + "/restart", "Content-Type", "text/plain;charset=UTF-8").statusCode());
        assertEquals(415, post(c, base + "/restart", "Origin", "https://evil.example").statusCode());
        assertEquals(0, actionsRun.get());
        assertEquals(200, post(c, base + "/restart", "Content-Type", "application/json",
                "Origin", "https://evil.example").statusCode());
        assertEquals(200, post(c, base + "/restart").statusCode()); // patronictl: no content type, no Origin
        assertEquals(2, actionsRun.get());
    }

    @Test
    void extraHeadersAreOnEveryResponseAndTheHttpsOnesOnlyOverHttps() throws Exception {
        Map<String, String> http = Map.of("X-Frame-Options", "DENY");
        Map<String, String> https = Map.of("Strict-Transport-Security", "max-age=31536000");
        String plain = start(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, null, List.of(),
                false, http, Map.of()));
        HttpResponse<String> r = get(client(null), plain + "/nope");
        assertEquals(404, r.statusCode());
        assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(null));

        String secure = start(tls.https(VerifyClient.NONE, null, AUTH, List.of(), http, https));
        HttpResponse<String> refused = post(client(tls.anonymousClient()), secure + "/reload");
        assertEquals(401, refused.statusCode());
        assertEquals("DENY", refused.headers().firstValue("X-Frame-Options").orElse(null));
        assertEquals("max-age=31536000", refused.headers().firstValue("Strict-Transport-Security").orElse(null));
    }

    @Test
    void reloadServesANewCertificateToNewConnectionsAndKeepsTheOldOneOnAFailure() throws Exception {
        RestApiConfig config = tls.https(VerifyClient.NONE);
        String base = start(config);
        RestApi api = servers.get(0);
        BigInteger first = servedSerial(api.port());

        tls.ca.issueNode(TlsFixture.HOSTS, TlsFixture.VALIDITY, TlsFixture.NOW).write(tls.certFile, tls.keyFile);
        assertEquals(first, servedSerial(api.port()), "not re-read before the reload");
        assertTrue(api.reloadTls());
        BigInteger second = servedSerial(api.port());
        assertNotEquals(first, second);
        assertEquals(200, get(client(tls.anonymousClient()), base + "/patroni").statusCode());

        Files.writeString(tls.keyFile, "not a key");
        assertFalse(api.reloadTls());
        assertEquals(second, servedSerial(api.port()));
    }

    @Test
    void theCipherListIsWhatTheServerOffers() throws Exception {
        String suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
        String base = start(tls.https(VerifyClient.NONE, "ECDHE-ECDSA-AES128-GCM-SHA256", null, List.of(), Map.of(),
                Map.of()));
        int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
        try (SSLSocket s = (SSLSocket) tls.anonymousClient().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.startHandshake();
            assertEquals(suite, s.getSession().getCipherSuite());
        }
        try (SSLSocket s = (SSLSocket) tls.anonymousClient().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
            assertThrows(IOException.class, s::startHandshake);
        }
    }

    @Test
    void tlsOlderThan12IsRefused() throws Exception {
        String base = start(tls.https(VerifyClient.NONE));
        int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
        try (SSLSocket s = (SSLSocket) tls.anonymousClient().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.setEnabledProtocols(new String[] {"TLSv1.1"});
            assertThrows(IOException.class, s::startHandshake);
        }
    }

    private BigInteger servedSerial(int port) throws Exception {
        try (SSLSocket s = (SSLSocket) tls.anonymousClient().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void aReloadedAuthenticationAppliesToTheNextRequest() throws Exception {
        String base = start(new RestApiConfig("127.0.0.1:0", null));
        HttpClient c = client(null);
        assertEquals(200, post(c, base + "/reload").statusCode(), "no authentication configured");
        last.reloadAccess(new RestApiConfig("127.0.0.1:0", null, null, null, VerifyClient.NONE, AUTH, List.of(),
                false, java.util.Map.of(), java.util.Map.of()));
        assertEquals(401, post(c, base + "/reload").statusCode());
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(
                "patroni:s3cret-pw".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(200, post(c, base + "/reload", "Authorization", basic).statusCode());
        assertEquals(2, actionsRun.get());
    }
}
