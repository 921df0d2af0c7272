package dev.baton.cli.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.Baton;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code baton certs}, run in-process: the files, their modes, the chains, and every refusal. */
class CertsCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(out), new PrintWriter(err),
                new ByteArrayInputStream(new byte[0]), false).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path dir() {
        return tmp.resolve("tls");
    }

    private Run ca() {
        Run r = run("certs", "ca", "--dir", dir().toString());
        assertEquals(0, r.code(), r.err());
        return r;
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** The chain from {@code leaf} to the CA in {@code ca} verifies (PKIX, no revocation lists). */
    private static void verifies(Path ca, Path leaf) throws Exception {
        X509Certificate root = Pem.certificates(ca).get(0);
        X509Certificate cert = Pem.certificates(leaf).get(0);
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
    }

    @Test
    void theCaIsWrittenWithItsKeyOwnerOnly() throws Exception {
        Run r = run("certs", "ca", "--dir", dir().toString(), "--name", "demo CA", "--days", "30", "--format", "json");
        assertEquals(0, r.code(), r.err());
        assertEquals("rw-r--r--", mode(dir().resolve("ca.crt")));
        assertEquals("rw-------", mode(dir().resolve("ca.key")));
        assertEquals("rwx------", mode(dir()), "a directory made for a CA key is the owner's only");
        JsonNode j = r.json();
        assertEquals(dir().resolve("ca.crt").toString(), j.path("files").get(0).path("path").asText());
        assertEquals("0600", j.path("files").get(1).path("mode").asText());
        assertTrue(j.path("certificate").path("ca").asBoolean());
        assertTrue(j.path("certificate").path("subject").asText().contains("CN=demo CA"), j.toString());
        Instant expiry = Instant.parse(j.path("certificate").path("not_after").asText());
        assertTrue(Duration.between(Instant.now(), expiry).toDays() >= 29, expiry.toString());
        X509Certificate cert = Pem.certificates(dir().resolve("ca.crt")).get(0);
        assertTrue(cert.getBasicConstraints() >= 0);
        TlsContexts.keyManagers(dir().resolve("ca.crt"), dir().resolve("ca.key"), null); // the key matches
    }

    @Test
    void anExistingCaIsNeverOverwrittenWithoutForce() throws Exception {
        ca();
        String crt = Files.readString(dir().resolve("ca.crt"));
        String key = Files.readString(dir().resolve("ca.key"));
        Run again = run("certs", "ca", "--dir", dir().toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("nothing was written"), again.err());
        assertEquals(crt, Files.readString(dir().resolve("ca.crt")));
        assertEquals(key, Files.readString(dir().resolve("ca.key")));
        // Only the key left (a half-finished copy): still refused.
        Files.delete(dir().resolve("ca.crt"));
        assertEquals(2, run("certs", "ca", "--dir", dir().toString()).code());
        assertEquals(key, Files.readString(dir().resolve("ca.key")));

        assertEquals(0, run("certs", "ca", "--dir", dir().toString(), "--force").code());
        assertFalse(key.equals(Files.readString(dir().resolve("ca.key"))), "--force makes a new CA");
    }

    @Test
    void aNodeCertificateServesAndAuthenticatesItsHostsWithoutACommonName() throws Exception {
        ca();
        Run r = run("certs", "node", "--dir", dir().toString(), "--name", "node1", "--host", "10.0.0.11",
                "--host", "node1.example.com", "--host", "::1", "--host", "10.0.0.11", "--format", "json");
        assertEquals(0, r.code(), r.err());
        Path crt = dir().resolve("node1.crt");
        Path key = dir().resolve("node1.key");
        assertEquals("rw-r--r--", mode(crt));
        assertEquals("rw-------", mode(key));
        verifies(dir().resolve("ca.crt"), crt);
        X509Certificate c = Pem.certificates(crt).get(0);
        assertEquals("O=Baton", c.getSubjectX500Principal().getName(), "no CommonName (etcd would take it as a user)");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        JsonNode cert = r.json().path("certificate");
        assertEquals("[\"10.0.0.11\",\"node1.example.com\",\"0:0:0:0:0:0:0:1\"]", cert.path("sans").toString(),
                "each host once, in order");
        assertEquals("[\"serverAuth\",\"clientAuth\"]", cert.path("usages").toString());
        assertFalse(cert.path("ca").asBoolean());
        // A JDK trust manager built from the CA accepts it as a server and as a client.
        X509TrustManager tm = (X509TrustManager) TlsContexts.trustManagers(dir().resolve("ca.crt")).getTrustManagers()[0];
        tm.checkServerTrusted(new X509Certificate[] {c}, "ECDHE_ECDSA");
        tm.checkClientTrusted(new X509Certificate[] {c}, "ECDHE_ECDSA");
        TlsContexts.keyManagers(crt, key, null);
    }

    @Test
    void aBackupServerCertificateHasTheCommonNameItIsAcceptedBy() throws Exception {
        ca();
        Run r = run("certs", "node", "--dir", dir().toString(), "--name", "node1-backup", "--host",
                "node1.example.com", "--cn", "baton-backup");
        assertEquals(0, r.code(), r.err());
        X509Certificate c = Pem.certificates(dir().resolve("node1-backup.crt")).get(0);
        assertEquals("CN=baton-backup,O=Baton", c.getSubjectX500Principal().getName());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        assertEquals("baton-backup", dev.baton.agent.backup.PgBackRestConf.commonName(
                c.getSubjectX500Principal().getName()), "the CommonName pgBackRest's server authorises");
        Run bad = run("certs", "node", "--dir", dir().toString(), "--name", "n2", "--host", "n2.example.com",
                "--cn", " padded");
        assertEquals(2, bad.code(), bad.err());
        assertFalse(Files.exists(dir().resolve("n2.crt")));
    }

    @Test
    void aClientCertificateIsForClientsOnly() throws Exception {
        ca();
        Run r = run("certs", "client", "--dir", dir().toString(), "--name", "operator");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + dir().resolve("operator.key") + " (mode 0600)"), r.out());
        Path crt = dir().resolve("operator.crt");
        verifies(dir().resolve("ca.crt"), crt);
        X509Certificate c = Pem.certificates(crt).get(0);
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        assertNull(c.getSubjectAlternativeNames());
        assertEquals("O=Baton", c.getSubjectX500Principal().getName());
        assertEquals("rw-------", mode(dir().resolve("operator.key")));
        X509TrustManager tm = (X509TrustManager) TlsContexts.trustManagers(dir().resolve("ca.crt")).getTrustManagers()[0];
        assertThrows(Exception.class, () -> tm.checkServerTrusted(new X509Certificate[] {c}, "ECDHE_ECDSA"),
                "not usable as a server");

        Run cn = run("certs", "client", "--dir", dir().toString(), "--name", "root-user", "--cn", "root", "--format", "json");
        assertEquals(0, cn.code(), cn.err());
        assertEquals("CN=root,O=Baton", cn.json().path("certificate").path("subject").asText());
    }

    @Test
    void aCertificateOfAnotherCaDoesNotVerify() throws Exception {
        ca();
        assertEquals(0, run("certs", "node", "--dir", dir().toString(), "--name", "n", "--host", "localhost").code());
        Path other = tmp.resolve("other");
        assertEquals(0, run("certs", "ca", "--dir", other.toString()).code());
        assertThrows(CertPathValidatorException.class, () -> verifies(other.resolve("ca.crt"), dir().resolve("n.crt")));
    }

    @Test
    void withoutACaNothingIsIssued() {
        Run r = run("certs", "node", "--dir", dir().toString(), "--name", "node1", "--host", "10.0.0.11");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("baton certs ca --dir"), r.err());
        assertFalse(Files.exists(dir().resolve("node1.key")));
    }

    @Test
    void aBrokenCaIsRefused() throws Exception {
        ca();
        Files.writeString(dir().resolve("ca.key"), "not a key\n");
        Run r = run("certs", "client", "--dir", dir().toString(), "--name", "op");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cannot be used"), r.err());
        assertFalse(Files.exists(dir().resolve("op.crt")));
    }

    @Test
    void anExistingNodeCertificateIsKeptWithoutForce() throws Exception {
        ca();
        String[] args = {"certs", "node", "--dir", dir().toString(), "--name", "node1", "--host", "10.0.0.11"};
        assertEquals(0, run(args).code());
        String key = Files.readString(dir().resolve("node1.key"));
        Run again = run(args);
        assertEquals(2, again.code());
        assertEquals(key, Files.readString(dir().resolve("node1.key")));
        String[] forced = {"certs", "node", "--dir", dir().toString(), "--name", "node1", "--host", "10.0.0.11", "--force"};
        assertEquals(0, run(forced).code());
        assertFalse(key.equals(Files.readString(dir().resolve("node1.key"))), "--force rotates the key");
    }

    @Test
    void hostileNamesHostsAndValuesAreRefusedAndNothingIsWritten() throws Exception {
        ca();
        List<String> before = names();
        String d = dir().toString();
        List<List<String>> bad = List.of(
                List.of("node", "--name", "../escape", "--host", "10.0.0.1"),
                List.of("node", "--name", "a/b", "--host", "10.0.0.1"),
                List.of("node", "--name", "..", "--host", "10.0.0.1"),
                List.of("node", "--name", "a..b", "--host", "10.0.0.1"),
                List.of("node", "--name", ".hidden", "--host", "10.0.0.1"),
                List.of("node", "--name", "ca", "--host", "10.0.0.1"),
                List.of("node", "--name", "bell\u0007", "--host", "10.0.0.1"),
                List.of("node", "--name", "line\nbreak", "--host", "10.0.0.1"),
                List.of("node", "--name", "", "--host", "10.0.0.1"),
                List.of("node", "--name", "n1", "--host", "10.0.0.256"),
                List.of("node", "--name", "n1", "--host", "-bad.example.com"),
                List.of("node", "--name", "n1", "--host", "a b"),
                List.of("node", "--name", "n1", "--host", "*.example.com"),
                List.of("node", "--name", "n1", "--host", "host\u0000.example.com"),
                List.of("node", "--name", "n1", "--host", "http://10.0.0.1:8008"),
                List.of("node", "--name", "n1", "--host", ""),
                List.of("node", "--name", "n1", "--host", "10.0.0.1", "--days", "0"),
                List.of("node", "--name", "n1", "--host", "10.0.0.1", "--days", "99999"),
                List.of("node", "--name", "n1", "--host", "10.0.0.1", "--format", "xml"),
                List.of("node", "--name", "n1"),
                List.of("client", "--name", "op", "--cn", "evil\u001b[2J"),
                List.of("client", "--name", "op", "--cn", "x".repeat(65)),
                List.of("client", "--name", "/etc/passwd"),
                List.of("ca", "--force", "--name", "bad\rname"));
        for (List<String> args : bad) {
            List<String> all = new java.util.ArrayList<>(List.of("certs", args.get(0), "--dir", d));
            all.addAll(args.subList(1, args.size()));
            Run r = run(all.toArray(String[]::new));
            assertEquals(2, r.code(), args + ": " + r.err());
            assertFalse(r.err().chars().anyMatch(c -> c == 0x1b || c == 0x07 || c == 0), "no control characters echoed: " + args);
            assertEquals(before, names(), "nothing written for " + args);
        }
        Files.writeString(tmp.resolve("file"), "");
        assertEquals(2, run("certs", "ca", "--dir", tmp.resolve("file").toString()).code(), "--dir is a file");
    }

    private List<String> names() throws Exception {
        try (var s = Files.list(dir())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void hostsAreAddressesOrDnsNames() {
        for (String ok : List.of("10.0.0.11", "127.0.0.1", "::1", "fe80::1", "localhost", "node-1.db.example.com", "a")) {
            assertTrue(CertNames.host(ok).isEmpty(), ok);
        }
        for (String bad : List.of("1.2.3.4.5", "999.1.1.1", "ex ample", "-a", "a-", "a..b", "a.", "x:y", "[::1]", "a_b")) {
            assertTrue(CertNames.host(bad).isPresent(), bad);
        }
    }
}
