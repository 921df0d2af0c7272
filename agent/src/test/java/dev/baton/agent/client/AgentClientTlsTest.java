package dev.baton.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BasicAuth;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.CtlConfig;
import dev.baton.config.LoadResult;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import dev.baton.config.tls.CertificateAuthority;
import java.io.IOException;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST client's security against an HTTPS stub on loopback: certificates, trust, credentials, headers. */
class AgentClientTlsTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final BasicAuth AUTH = new BasicAuth("admin", "s3cret");

    @TempDir
    Path dir;
    private CertificateAuthority ca;
    private CertificateAuthority other;
    private Path caFile;
    private Path crt;
    private Path key;

    @BeforeEach
    void material() {
        ca = CertificateAuthority.create("cluster", Duration.ofDays(1), TlsAgent.NOW);
        other = CertificateAuthority.create("other", Duration.ofDays(1), TlsAgent.NOW);
        caFile = dir.resolve("ca.crt");
        ca.self().write(caFile, dir.resolve("ca.key"));
        crt = dir.resolve("client.crt");
        key = dir.resolve("client.key");
        ca.issueNode(List.of("127.0.0.1", "localhost"), Duration.ofDays(1), TlsAgent.NOW).write(crt, key);
    }

    private RestClientSettings settings(Path cert, Path keyFile, String password, Path cafile, boolean insecure,
                                        BasicAuth auth) {
        return new RestClientSettings(new TlsFiles(cert, keyFile, password, cafile), insecure, auth,
                RestClientSettings.Names.CTL);
    }

    private AgentClient client(RestClientSettings s) throws ClientSetupException {
        return AgentClient.create(s, Duration.ofSeconds(5));
    }

    @Test
    void presentsItsCertificateAndTrustsTheClusterCa() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, ca, List.of("127.0.0.1"), true)) {
            AgentClient c = client(settings(crt, key, null, caFile, false, null));
            assertEquals(200, c.get(agent.base(), "/patroni", T).status());
            assertTrue(agent.requests().get(0).clientCertificate());
        }
    }

    @Test
    void aServerCertificateOfAnotherCaFailsSayingSo() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, other, List.of("127.0.0.1"), false)) {
            RestClientSettings s = settings(null, null, null, caFile, false, null);
            IOException e = assertThrows(IOException.class, () -> client(s).get(agent.base(), "/patroni", T));
            assertEquals(CallFailure.TLS, CallFailure.of(e));
            String why = CallFailure.explainTls(e, s);
            assertTrue(why.contains("not signed by a CA this client trusts: ctl.cacert " + caFile), why);
            assertTrue(agent.requests().isEmpty());
        }
    }

    @Test
    void theHostNameIsChecked() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, ca, List.of("elsewhere.example"), false)) {
            RestClientSettings s = settings(null, null, null, caFile, false, null);
            IOException e = assertThrows(IOException.class, () -> client(s).get(agent.base(), "/patroni", T));
            assertEquals(CallFailure.TLS, CallFailure.of(e));
            assertTrue(CallFailure.explainTls(e, s).contains("does not name the host"), CallFailure.explainTls(e, s));
        }
    }

    @Test
    void insecureTrustsAnyServerAndAnyNameWithoutAJvmWideSwitch() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, other, List.of("elsewhere.example"), false)) {
            AgentClient c = client(settings(null, null, null, null, true, null));
            assertEquals(200, c.get(agent.base(), "/patroni", T).status());
            assertNull(System.getProperty("jdk.internal.httpclient.disableHostnameVerification"));
        }
    }

    @Test
    void withoutAClientCertificateARequiringServerRefuses() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, ca, List.of("127.0.0.1"), true)) {
            RestClientSettings s = settings(null, null, null, caFile, false, null);
            IOException e = assertThrows(IOException.class, () -> client(s).get(agent.base(), "/patroni", T));
            // Never "unreachable": a refusal must not be taken for an agent that is down.
            assertTrue(CallFailure.of(e) == CallFailure.TLS || CallFailure.of(e) == CallFailure.OTHER, e::toString);
            assertTrue(agent.requests().isEmpty());
        }
    }

    @Test
    void basicCredentialsAndTheJsonContentTypeGoOnlyWithUnsafeCalls() throws Exception {
        try (TlsAgent agent = new TlsAgent(dir, ca, List.of("127.0.0.1"), false)) {
            AgentClient c = client(settings(crt, key, null, caFile, false, AUTH));
            c.get(agent.base(), "/patroni", T);
            c.reload(agent.base(), T);
            c.cancelSwitchover(agent.base(), T);
            List<TlsAgent.Request> r = agent.requests();
            assertEquals(List.of("GET", "POST", "DELETE"), r.stream().map(TlsAgent.Request::method).toList());
            assertNull(r.get(0).authorization());
            assertNull(r.get(0).contentType());
            for (TlsAgent.Request u : r.subList(1, 3)) {
                assertEquals(AUTH.header(), u.authorization());
                assertEquals("application/json", u.contentType());
            }
        }
    }

    @Test
    void aClientSetUpForTlsRefusesUnsafeCallsToAnHttpApiUrl() throws Exception {
        try (FakeAgent plain = new FakeAgent()) {
            plain.answer("/patroni", 200, "{}").answer("/reload", 200, "{}");
            AgentClient c = client(settings(crt, key, null, caFile, false, AUTH));
            IOException e = assertThrows(IOException.class, () -> c.reload(plain.base(), T));
            assertEquals(CallFailure.CLEARTEXT_REFUSED, CallFailure.of(e));
            assertTrue(e.getMessage().contains("never sent in clear"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"));
            assertEquals(200, c.get(plain.base(), "/patroni", T).status()); // a read carries no credentials
            assertEquals(List.of("GET"), plain.requests().stream().map(FakeAgent.Request::method).toList());

            // A plain-HTTP cluster with Basic authentication (as Patroni allows) is called as configured.
            AgentClient p = client(settings(null, null, null, null, false, AUTH));
            assertEquals(200, p.reload(plain.base(), T).status());
        }
    }

    @Test
    void keyMaterialThatCannotBeUsedNamesItsSetting() throws Exception {
        ClientSetupException missing = assertThrows(ClientSetupException.class,
                () -> client(settings(dir.resolve("nope.crt"), key, null, caFile, false, null)));
        assertEquals("ctl.certfile", missing.key());
        assertTrue(missing.getMessage().startsWith("ctl.certfile: "), missing.getMessage());

        Path enc = dir.resolve("enc.key");
        StringWriter s = new StringWriter();
        var node = ca.issueNode(List.of("127.0.0.1"), Duration.ofDays(1), TlsAgent.NOW);
        node.write(dir.resolve("enc.crt"), dir.resolve("plain.key"));
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(new JcaPKCS8Generator(node.key(), new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                    .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                    .setPassword("right".toCharArray()).build()));
        }
        Files.writeString(enc, s.toString());
        ClientSetupException wrong = assertThrows(ClientSetupException.class,
                () -> client(settings(dir.resolve("enc.crt"), enc, "wrong", caFile, false, null)));
        assertEquals("ctl.keyfile", wrong.key());
        assertTrue(wrong.getMessage().contains("wrong password"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("wrong\""));
        client(settings(dir.resolve("enc.crt"), enc, "right", caFile, false, null));

        ClientSetupException mismatch = assertThrows(ClientSetupException.class,
                () -> client(settings(crt, dir.resolve("plain.key"), null, caFile, false, null)));
        assertEquals("ctl.keyfile", mismatch.key());

        ClientSetupException noCa = assertThrows(ClientSetupException.class,
                () -> client(settings(null, null, null, dir.resolve("none.crt"), false, null)));
        assertEquals("ctl.cacert", noCa.key());
    }

    @Test
    void settingsFallBackToTheRestApiAndAreNamedAfterTheirSection() throws Exception {
        RestApiConfig api = new RestApiConfig("127.0.0.1:8008", null, new TlsFiles(crt, key, null, caFile), null,
                VerifyClient.REQUIRED, AUTH, List.of(), false, Map.of(), Map.of());
        RestClientSettings fromApi = RestClientSettings.of(CtlConfig.NONE, api);
        assertEquals(new TlsFiles(crt, key, null, caFile), fromApi.tls());
        assertEquals(AUTH, fromApi.authentication());
        assertEquals("restapi.keyfile", fromApi.names().keyfile());
        assertEquals("restapi.cafile", fromApi.names().cafile());
        assertTrue(fromApi.expectsTls());
        assertFalse(fromApi.toString().contains("s3cret"));

        CtlConfig ctl = new CtlConfig(new TlsFiles(dir.resolve("missing.crt"), null, null, null), false, null);
        RestClientSettings own = RestClientSettings.of(ctl, api);
        assertEquals("ctl.certfile", own.names().certfile());
        assertEquals("restapi.cafile", own.names().cafile());
        assertEquals("ctl.certfile", assertThrows(ClientSetupException.class, () -> client(own)).key());
        assertFalse(RestClientSettings.PLAIN.expectsTls());
    }

    @Test
    void failuresAreSortedSoThatOnlyAnAgentThatIsDownCountsAsUnreachable() {
        assertEquals(CallFailure.UNREACHABLE, CallFailure.of(new ConnectException("Connection refused")));
        assertEquals(CallFailure.UNREACHABLE, CallFailure.of(new HttpConnectTimeoutException("connect timed out")));
        assertEquals(CallFailure.UNREACHABLE, CallFailure.of(new IOException("x", new ConnectException("refused"))));
        assertEquals(CallFailure.TIMEOUT, CallFailure.of(new HttpTimeoutException("request timed out")));
        assertEquals(CallFailure.TLS, CallFailure.of(new SSLHandshakeException("PKIX path building failed")));
        assertEquals(CallFailure.TLS, CallFailure.of(new IOException("x", new SSLHandshakeException("bad_certificate"))));
        assertEquals(CallFailure.CLEARTEXT_REFUSED, CallFailure.of(new AgentClient.CleartextRefused("POST", "http://h/x")));
        assertEquals(CallFailure.OTHER, CallFailure.of(new IOException("HTTP/1.1 header parser received no bytes")));
    }

    @Test
    void thePreflightWantsACaWhenTheNodeCertificateIsNotPublic() throws Exception {
        Path pg = Files.createDirectories(dir.resolve("pg"));
        String yaml = "scope: demo\nname: node1\netcd3: {host: 127.0.0.1:2379}\n"
                + "postgresql: {listen: 127.0.0.1:5432, data_dir: " + pg + "}\n"
                + "restapi: {listen: 127.0.0.1:8008, certfile: " + crt + ", keyfile: " + key + "%s}\n";
        BatonConfig without = load(String.format(yaml, ""));
        assertEquals(List.of("restapi.cafile"), List.copyOf(PeerClients.problems(without).keySet()));
        BatonConfig with = load(String.format(yaml, ", cafile: " + caFile));
        assertEquals(Map.of(), PeerClients.problems(with));
        assertEquals(Map.of("restapi.keyfile", "x").keySet(), PeerClients.problems(load(String.format(yaml
                .replace("keyfile: " + key, "keyfile: " + dir.resolve("ca.key")), ", cafile: " + caFile))).keySet());
    }

    private static BatonConfig load(String yaml) {
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> r.errors().toString());
        return r.config();
    }
}
