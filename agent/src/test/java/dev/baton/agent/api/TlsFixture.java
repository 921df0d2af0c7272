package dev.baton.agent.api;

import dev.baton.config.BasicAuth;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.TlsContexts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * Certificates for the REST tests, in a temporary directory: a cluster CA, the server's node
 * certificate for 127.0.0.1 and localhost, a client certificate of the same CA and one of another CA.
 */
final class TlsFixture {
    static final Instant NOW = Instant.now();
    static final Duration VALIDITY = Duration.ofDays(1);
    static final List<String> HOSTS = List.of("127.0.0.1", "localhost");

    final Path dir;
    final CertificateAuthority ca;
    final Path caFile;
    final Path certFile;
    final Path keyFile;
    final Path clientCert;
    final Path clientKey;
    final Path strangerCert;
    final Path strangerKey;

    TlsFixture(Path dir) {
        this.dir = dir;
        this.ca = CertificateAuthority.create("test-ca", VALIDITY, NOW.minusSeconds(60));
        this.caFile = dir.resolve("ca.crt");
        ca.self().write(caFile, dir.resolve("ca.key"));
        this.certFile = dir.resolve("server.crt");
        this.keyFile = dir.resolve("server.key");
        ca.issueNode(HOSTS, VALIDITY, NOW.minusSeconds(60)).write(certFile, keyFile);
        this.clientCert = dir.resolve("client.crt");
        this.clientKey = dir.resolve("client.key");
        ca.issueNode(HOSTS, VALIDITY, NOW.minusSeconds(60)).write(clientCert, clientKey);
        CertificateAuthority other = CertificateAuthority.create("other-ca", VALIDITY, NOW.minusSeconds(60));
        this.strangerCert = dir.resolve("stranger.crt");
        this.strangerKey = dir.resolve("stranger.key");
        other.issueNode(HOSTS, VALIDITY, NOW.minusSeconds(60)).write(strangerCert, strangerKey);
    }

    /** An HTTPS restapi on a free loopback port. */
    RestApiConfig https(VerifyClient verify) {
        return https(verify, null, null, List.of(), Map.of(), Map.of());
    }

    RestApiConfig https(VerifyClient verify, String ciphers, BasicAuth auth, List<String> allowlist,
                        Map<String, String> httpHeaders, Map<String, String> httpsHeaders) {
        return new RestApiConfig("127.0.0.1:0", null, new TlsFiles(certFile, keyFile, null, caFile), ciphers, verify,
                auth, allowlist, false, httpHeaders, httpsHeaders);
    }

    /** A client trusting the cluster CA, presenting no certificate. */
    SSLContext anonymousClient() throws Exception {
        return TlsContexts.context(null, caFile);
    }

    /** A client trusting the cluster CA, presenting a certificate of it. */
    SSLContext client() throws Exception {
        return TlsContexts.context(TlsContexts.keyManagers(clientCert, clientKey, null), caFile);
    }

    /** A client trusting the cluster CA, holding a certificate of another CA (the JDK offers it to no server of this CA). */
    SSLContext stranger() throws Exception {
        return TlsContexts.context(TlsContexts.keyManagers(strangerCert, strangerKey, null), caFile);
    }

    /** As {@link #stranger()}, presenting its certificate whatever CAs the server names. */
    SSLContext pushyStranger() throws Exception {
        X509KeyManager km = (X509KeyManager) TlsContexts.keyManagers(strangerCert, strangerKey, null).getKeyManagers()[0];
        X509ExtendedKeyManager always = new X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return km.getClientAliases(keyType, null);
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return km.chooseClientAlias(keyType, null, socket);
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return km.chooseClientAlias(keyType, null, null);
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return km.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return km.getPrivateKey(alias);
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new KeyManager[] {always}, TlsContexts.trustManagers(caFile).getTrustManagers(), null);
        return ctx;
    }
}
