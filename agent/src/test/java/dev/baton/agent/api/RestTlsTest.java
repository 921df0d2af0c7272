package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-time check of the REST API's TLS files and ciphers: each problem named by its key, no secret shown. */
class RestTlsTest {
    @TempDir
    Path dir;
    private TlsFixture tls;

    @BeforeEach
    void certificates() {
        tls = new TlsFixture(dir);
    }

    private static RestApiConfig config(Path cert, Path key, String password, Path ca, String ciphers) {
        return new RestApiConfig("127.0.0.1:8008", null, new TlsFiles(cert, key, password, ca), ciphers,
                ca == null ? VerifyClient.NONE : VerifyClient.REQUIRED, null, List.of(), false, Map.of(), Map.of());
    }

    private Optional<String> problem(RestApiConfig c) {
        List<RestTls.Problem> p = RestTls.check(c);
        assertTrue(p.size() <= 1, p::toString);
        return p.stream().findFirst().map(RestTls.Problem::toString);
    }

    @Test
    void usableFilesAndPlainHttpHaveNoProblem() {
        assertEquals(Optional.empty(), problem(config(tls.certFile, tls.keyFile, null, tls.caFile,
                "ECDHE-ECDSA-AES128-GCM-SHA256")));
        assertEquals(Optional.empty(), problem(new RestApiConfig("127.0.0.1:8008", null)));
    }

    @Test
    void eachFileProblemNamesItsKeyAndFile() throws Exception {
        Path missing = dir.resolve("missing.crt");
        assertTrue(problem(config(missing, tls.keyFile, null, null, null)).orElseThrow()
                .startsWith("restapi.certfile: " + missing + ": "));
        assertTrue(problem(config(tls.certFile, tls.clientKey, null, null, null)).orElseThrow()
                .startsWith("restapi.keyfile: " + tls.clientKey + ": the private key does not belong"));
        // No keyfile: the key is looked for in the certificate file, and the certfile is named.
        assertTrue(problem(config(tls.certFile, null, null, null, null)).orElseThrow()
                .startsWith("restapi.certfile: " + tls.certFile + ": "));
        Path notCa = dir.resolve("ca.pem");
        Files.writeString(notCa, "nothing here");
        assertTrue(problem(config(tls.certFile, tls.keyFile, null, notCa, null)).orElseThrow()
                .startsWith("restapi.cafile: " + notCa + ": "));
        assertEquals(List.of("restapi.ciphers", "restapi.keyfile"), RestTls.check(config(tls.certFile, tls.clientKey,
                null, null, "HIGH")).stream().map(RestTls.Problem::key).toList(), "both at once");
    }

    @Test
    void aWrongKeyPasswordIsNamedAndNeverShown() throws Exception {
        Path encrypted = dir.resolve("server-enc.key");
        Files.writeString(encrypted, encrypted(tls.keyFile, "right-pw"));
        assertEquals(Optional.empty(), problem(config(tls.certFile, encrypted, "right-pw", null, null)));
        String p = problem(config(tls.certFile, encrypted, "wrong-pw", null, null)).orElseThrow();
        assertEquals("restapi.keyfile: " + encrypted + ": cannot decrypt the private key: wrong password?", p);
        assertFalse(p.contains("wrong-pw") || p.contains("right-pw"));
    }

    @Test
    void theServerRefusesToBeBuiltFromUnusableFiles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RestApi(
                config(dir.resolve("nope.crt"), tls.keyFile, null, null, null), () -> null, () -> 0L, "t", 10,
                RestLimits.DEFAULTS));
        assertTrue(e.getMessage().startsWith("restapi.certfile: "), e.getMessage());
    }

    /** The key of {@code keyFile}, as encrypted PKCS#8 PEM. */
    static String encrypted(Path keyFile, String password) throws Exception {
        PrivateKey key = dev.baton.config.tls.Pem.privateKey(keyFile, null);
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                    .setProvider(new BouncyCastleProvider()).setPassword(password.toCharArray()).build()));
        }
        return s.toString();
    }
}
