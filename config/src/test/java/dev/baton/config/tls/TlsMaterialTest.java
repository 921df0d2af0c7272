package dev.baton.config.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.tls.CertificateAuthority.Issued;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    @TempDir
    Path dir;

    @Test
    void issuedNodeCertificateChainsToTheCaAndNamesItsHosts() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(30), NOW);
        Issued node = ca.issueNode(List.of("127.0.0.1", "node1.example"), Duration.ofDays(10), NOW);
        node.write(dir.resolve("node.crt"), dir.resolve("node.key"));
        ca.self().write(dir.resolve("ca.crt"), dir.resolve("ca.key"));

        X509Certificate cert = Pem.certificates(dir.resolve("node.crt")).get(0);
        cert.verify(ca.certificate().getPublicKey());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), cert.getExtendedKeyUsage());
        assertTrue(cert.getSubjectX500Principal().getName().indexOf("CN=") < 0, "no CommonName: etcd would take it as a user");
        assertEquals(2, cert.getSubjectAlternativeNames().size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node.key"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node.crt"))));

        X509TrustManager tm = (X509TrustManager) TlsContexts.trustManagers(dir.resolve("ca.crt")).getTrustManagers()[0];
        tm.checkServerTrusted(new X509Certificate[] {cert}, "ECDHE_ECDSA");
        SSLContext ctx = TlsContexts.context(TlsContexts.keyManagers(dir.resolve("node.crt"), dir.resolve("node.key"), null),
                dir.resolve("ca.crt"));
        assertNotNull(ctx.createSSLEngine());
        assertEquals(ca.certificate(), CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("ca.key")).certificate());
    }

    @Test
    void readsPkcs1Sec1AndEncryptedKeys() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(30), NOW);
        Issued node = ca.issueNode(List.of("localhost"), Duration.ofDays(10), NOW);
        Path crt = dir.resolve("n.crt");
        node.write(crt, dir.resolve("n.key"));

        // SEC1 "EC PRIVATE KEY", plain and OpenSSL-encrypted, as openssl writes them (test resources).
        Path sec1Crt = resource("ec-sec1.crt");
        TlsContexts.keyManagers(sec1Crt, resource("ec-sec1.key"), null);
        TlsContexts.keyManagers(sec1Crt, resource("ec-sec1-enc.key"), "s3cret");
        TlsException wrong = assertThrows(TlsException.class,
                () -> TlsContexts.keyManagers(sec1Crt, resource("ec-sec1-enc.key"), "nope"));
        assertTrue(wrong.getMessage().contains("wrong password"), wrong.getMessage());
        assertTrue(!wrong.getMessage().contains("nope"));
        // Encrypted PKCS#8.
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(new JcaPKCS8Generator(node.key(), new JceOpenSSLPKCS8EncryptorBuilder(
                    JcaPKCS8Generator.AES_256_CBC).setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).setPassword("s3cret".toCharArray()).build()));
        }
        Files.writeString(dir.resolve("p8-enc.key"), s.toString());

        TlsContexts.keyManagers(crt, dir.resolve("p8-enc.key"), "s3cret");
        TlsException noPassword = assertThrows(TlsException.class,
                () -> TlsContexts.keyManagers(crt, dir.resolve("p8-enc.key"), null));
        assertTrue(noPassword.getMessage().contains("encrypted and no password"), noPassword.getMessage());

        // PKCS#1 RSA.
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rsa = g.generateKeyPair();
        Files.writeString(dir.resolve("rsa.key"), pem(rsa.getPrivate()));
        assertTrue(Files.readString(dir.resolve("rsa.key")).contains("BEGIN RSA PRIVATE KEY"));
        assertEquals("RSA", Pem.privateKey(dir.resolve("rsa.key"), null).getAlgorithm());
    }

    @Test
    void refusesMissingFilesForeignKeysAndNonCertificates() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(30), NOW);
        ca.issue("a", List.of("localhost"), Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1), NOW)
                .write(dir.resolve("a.crt"), dir.resolve("a.key"));
        ca.issue("b", List.of("localhost"), Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1), NOW)
                .write(dir.resolve("b.crt"), dir.resolve("b.key"));
        Files.writeString(dir.resolve("junk.pem"), "not a pem\n");

        assertMessage(() -> TlsContexts.keyManagers(dir.resolve("a.crt"), dir.resolve("b.key"), null),
                "does not belong to the certificate");
        assertMessage(() -> Pem.certificates(dir.resolve("missing.crt")), "no such file");
        assertMessage(() -> Pem.certificates(dir.resolve("junk.pem")), "no PEM certificate");
        assertMessage(() -> Pem.privateKey(dir.resolve("a.crt"), null), "no PEM private key");
        assertMessage(() -> CertificateAuthority.load(dir.resolve("a.crt"), dir.resolve("a.key")), "not a CA certificate");
    }

    private static Path resource(String name) throws Exception {
        return Path.of(TlsMaterialTest.class.getResource("/tls/" + name).toURI());
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertMessage(Call call, String expected) {
        TlsException e = assertThrows(TlsException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static String pem(java.security.PrivateKey key) throws Exception {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(key);
        }
        return s.toString();
    }
}
