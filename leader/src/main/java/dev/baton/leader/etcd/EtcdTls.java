package dev.baton.leader.etcd;

import dev.baton.config.EtcdConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The key material of {@code etcd3}: the client certificate and key a TLS client presents, and the
 * CA its server must chain to, read from the files {@link EtcdAccess#tls()} names each time a client
 * is built (so a rebuilt client picks up rotated certificates). Every error names the configuration
 * key it is about ({@code etcd3.cacert}, {@code etcd3.cert}, {@code etcd3.key},
 * {@code etcd3.key_password}) and the file, never a password.
 *
 * <p>Nothing here touches jetcd or Netty (the JSON-gateway reader uses it on a cold start).
 */
public final class EtcdTls {

    /** Key material Baton cannot use, named by its configuration key. */
    public record KeyProblem(String key, String message) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    /**
     * What one client is built with.
     *
     * @param keys  the client certificate to present, null for none
     * @param trust the CA certificates of {@code etcd3.cacert}, or the JDK's CAs
     */
    record Material(KeyManagerFactory keys, X509TrustManager trust) {
    }

    /** Thrown by {@link #load}: the key, and the file with what is wrong with it. */
    static final class KeyMaterialException extends Exception {
        private final KeyProblem problem;

        KeyMaterialException(KeyProblem problem, Throwable cause) {
            super(problem.toString(), cause);
            this.problem = problem;
        }

        KeyProblem problem() {
            return problem;
        }
    }

    private EtcdTls() {
    }

    /**
     * The agent's check at start (and {@code --validate-config}'s): with {@code protocol: https},
     * whether the files of {@code etcd3} can be read and used; empty when they can or TLS is off.
     */
    public static Optional<KeyProblem> problem(EtcdConfig etcd) {
        return etcd.https() ? problem(etcd.tls()) : Optional.empty();
    }

    /** Whether these files can be read and used; empty when they can. */
    public static Optional<KeyProblem> problem(TlsFiles tls) {
        try {
            load(tls);
            return Optional.empty();
        } catch (KeyMaterialException e) {
            return Optional.of(e.problem());
        }
    }

    /** Reads the files now. */
    static Material load(TlsFiles tls) throws KeyMaterialException {
        X509TrustManager trust;
        try {
            trust = x509(TlsContexts.trustManagers(tls.cafile()).getTrustManagers());
        } catch (TlsException e) {
            throw new KeyMaterialException(new KeyProblem("etcd3.cacert", e.getMessage()), e);
        }
        if (tls.certfile() == null) {
            if (tls.keyfile() != null) {
                throw new KeyMaterialException(new KeyProblem("etcd3.key",
                        "needs etcd3.cert: the client certificate"), null);
            }
            return new Material(null, trust);
        }
        try {
            Pem.certificates(tls.certfile());
        } catch (TlsException e) {
            throw new KeyMaterialException(new KeyProblem("etcd3.cert", e.getMessage()), e);
        }
        try {
            return new Material(TlsContexts.keyManagers(tls.certfile(), tls.keyfile(), tls.keyfilePassword()), trust);
        } catch (TlsException e) {
            String m = e.getMessage();
            String key = m.contains("password") ? "etcd3.key_password" : tls.keyfile() == null ? "etcd3.cert" : "etcd3.key";
            throw new KeyMaterialException(new KeyProblem(key, m), e);
        }
    }

    /**
     * A JDK TLS context for the JSON gateway ({@code HttpsURLConnection} checks the host name of
     * each connection itself).
     */
    static SSLContext jdkContext(TlsFiles tls) throws KeyMaterialException {
        Material m = load(tls);
        try {
            return TlsContexts.context(m.keys(), new TrustManager[] {m.trust()});
        } catch (TlsException e) {
            throw new KeyMaterialException(new KeyProblem("etcd3.cacert", e.getMessage()), e);
        }
    }

    /**
     * Trusts a server whose chain {@code trust} accepts and whose certificate names one of
     * {@code hosts} (subject alternative names: DNS names, with a wildcard in the leftmost label,
     * and IP addresses; the CommonName is not read, as in Go and Python). jetcd opens one gRPC
     * channel for all of etcd's members, so the connection's own host is not known here: a member
     * must present a certificate for one of the configured hosts, and with a single host exactly
     * that one.
     */
    static X509ExtendedTrustManager hostChecking(X509TrustManager trust, List<String> hosts) {
        List<String> names = hosts.stream().map(h -> Endpoints.parse(h).host()).toList();
        return new X509ExtendedTrustManager() {
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                trust.checkServerTrusted(chain, authType);
                if (names.stream().noneMatch(h -> names(chain[0], h))) {
                    throw new CertificateException("the etcd server certificate (subject alternative names "
                            + alternativeNames(chain[0]) + ") names none of the etcd hosts " + names);
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                    throws CertificateException {
                checkServerTrusted(chain, authType);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                    throws CertificateException {
                checkServerTrusted(chain, authType);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("a client-side trust manager");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                    throws CertificateException {
                throw new CertificateException("a client-side trust manager");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                    throws CertificateException {
                throw new CertificateException("a client-side trust manager");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return trust.getAcceptedIssuers();
            }
        };
    }

    /** Whether the certificate's subject alternative names include {@code host}. */
    static boolean names(X509Certificate cert, String host) {
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        if (sans == null) {
            return false;
        }
        boolean ip = isIpLiteral(host);
        for (List<?> san : sans) {
            int type = (Integer) san.get(0);
            String value = String.valueOf(san.get(1));
            if (ip && type == 7 && sameAddress(value, host)) {
                return true;
            }
            if (!ip && type == 2 && dnsMatches(value, host)) {
                return true;
            }
        }
        return false;
    }

    /** A DNS name of a certificate against a host name: case-insensitive, {@code *} for one leftmost label. */
    static boolean dnsMatches(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (p.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot).equals(p.substring(1)) && p.indexOf('.', 2) > 0;
        }
        return !p.contains("*") && p.equals(h);
    }

    static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static boolean sameAddress(String a, String b) {
        try {
            // Literals only (checked above and by the certificate's encoding): no name lookup.
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static String alternativeNames(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans == null ? "[]" : sans.stream().map(s -> String.valueOf(s.get(1))).toList().toString();
        } catch (CertificateParsingException e) {
            return "(unreadable)";
        }
    }

    private static X509TrustManager x509(TrustManager[] managers) throws TlsException {
        for (TrustManager m : managers) {
            if (m instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new TlsException("no X.509 trust manager");
    }
}
