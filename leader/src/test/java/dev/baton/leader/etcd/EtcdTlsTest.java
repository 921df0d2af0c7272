package dev.baton.leader.etcd;

import dev.baton.config.EtcdConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.tls.CertificateAuthority;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.X509ExtendedTrustManager;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The etcd key material: errors named by their key, and the server-name check of the jetcd channel. */
class EtcdTlsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final Duration YEAR = Duration.ofDays(365);
    private static final CertificateAuthority CA = CertificateAuthority.create("test-ca", YEAR, NOW);

    @TempDir
    Path dir;

    private Path caFile() throws IOException {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, dev.baton.config.tls.Pem.encode(CA.certificate()));
        return ca;
    }

    private TlsFiles client() throws IOException {
        CA.issueNode(List.of("127.0.0.1", "localhost"), YEAR, NOW).write(dir.resolve("c.pem"), dir.resolve("c.key"));
        return new TlsFiles(dir.resolve("c.pem"), dir.resolve("c.key"), null, caFile());
    }

    @Test
    void usableFilesHaveNoProblemAndGiveKeysAndTrust() throws Exception {
        TlsFiles files = client();
        assertEquals(Optional.empty(), EtcdTls.problem(files));
        EtcdTls.Material m = EtcdTls.load(files);
        assertNotNull(m.keys());
        assertEquals(CA.certificate(), m.trust().getAcceptedIssuers()[0]);
        assertNull(EtcdTls.load(new TlsFiles(null, null, null, files.cafile())).keys(), "no client certificate");
    }

    @Test
    void eachUnusableFileIsNamedByItsKey() throws Exception {
        TlsFiles ok = client();
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem");
        Path missing = dir.resolve("missing.pem");
        assertEquals("etcd3.cacert", key(new TlsFiles(ok.certfile(), ok.keyfile(), null, missing)));
        assertEquals("etcd3.cert", key(new TlsFiles(garbage, ok.keyfile(), null, ok.cafile())));
        assertEquals("etcd3.key", key(new TlsFiles(ok.certfile(), garbage, null, ok.cafile())));
        assertEquals("etcd3.key", key(new TlsFiles(null, ok.keyfile(), null, ok.cafile())));
        CA.issueNode(List.of("other"), YEAR, NOW).write(dir.resolve("o.pem"), dir.resolve("o.key"));
        EtcdTls.KeyProblem mismatch = EtcdTls.problem(new TlsFiles(ok.certfile(), dir.resolve("o.key"), null,
                ok.cafile())).orElseThrow();
        assertEquals("etcd3.key", mismatch.key());
        assertTrue(mismatch.toString().startsWith("etcd3.key: " + dir.resolve("o.key")), mismatch.toString());
    }

    @Test
    void theConfigCheckLooksAtFilesOnlyWithHttps() throws Exception {
        TlsFiles broken = new TlsFiles(null, null, null, dir.resolve("missing.pem"));
        assertEquals("etcd3.cacert", EtcdTls.problem(
                new EtcdConfig(List.of("h:2379"), "https", broken, null, null)).orElseThrow().key());
        assertEquals(Optional.empty(), EtcdTls.problem(new EtcdConfig(List.of("h:2379"), "http")));
    }

    private String key(TlsFiles files) {
        return EtcdTls.problem(files).orElseThrow().key();
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource({
            "etcd1.example.com,   etcd1.example.com,   true",
            "ETCD1.example.com,   etcd1.EXAMPLE.com.,  true",
            "*.example.com,       etcd1.example.com,   true",
            "*.example.com,       example.com,         false",
            "*.example.com,       a.b.example.com,     false",
            "*.com,               example.com,         false",
            "etcd1.example.com,   etcd2.example.com,   false",
            "e*.example.com,      etcd1.example.com,   false",
    })
    void dnsNamesMatchAsTlsClientsDo(String pattern, String host, boolean matches) {
        assertEquals(matches, EtcdTls.dnsMatches(pattern, host));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "127.0.0.1,            true",
            "localhost,            true",
            "0:0:0:0:0:0:0:1,      true",
            "::1,                  true",
            "127.0.0.2,            false",
            "example.com,          false",
    })
    void aCertificateNamesItsAlternativeNamesOnly(String host, boolean named) {
        X509Certificate cert = CA.issue("127.0.0.2-is-only-the-cn", List.of("127.0.0.1", "localhost", "::1"),
                Set.of(CertificateAuthority.Usage.SERVER), YEAR, NOW).certificate();
        assertEquals(named, EtcdTls.names(cert, host));
    }

    @Test
    void theChannelTrustsTheCaForAConfiguredHostOnly() throws Exception {
        EtcdTls.Material m = EtcdTls.load(new TlsFiles(null, null, null, caFile()));
        X509Certificate[] local = {CA.issueNode(List.of("127.0.0.1"), YEAR, NOW).certificate()};
        X509Certificate[] foreign = {CertificateAuthority.create("other", YEAR, NOW)
                .issueNode(List.of("127.0.0.1"), YEAR, NOW).certificate()};

        X509ExtendedTrustManager tm = EtcdTls.hostChecking(m.trust(), List.of("10.0.0.9:2379", "127.0.0.1:2379"));
        assertDoesNotThrow(() -> tm.checkServerTrusted(local, "ECDHE_ECDSA"));
        assertThrows(CertificateException.class, () -> tm.checkServerTrusted(foreign, "ECDHE_ECDSA"));

        X509ExtendedTrustManager elsewhere = EtcdTls.hostChecking(m.trust(), List.of("etcd.example.com:2379"));
        CertificateException e = assertThrows(CertificateException.class,
                () -> elsewhere.checkServerTrusted(local, "ECDHE_ECDSA", (javax.net.ssl.SSLEngine) null));
        assertTrue(e.getMessage().contains("etcd.example.com"), e.getMessage());
        assertFalse(EtcdTls.isIpLiteral("etcd.example.com"));
    }
}
