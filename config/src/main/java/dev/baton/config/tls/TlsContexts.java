package dev.baton.config.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * JDK key and trust managers from the PEM files a configuration names ({@code certfile},
 * {@code keyfile}, {@code keyfile_password}, {@code cafile}/{@code cacert}), and the SSL contexts
 * built from them. Everything is read when called, so calling again after the files changed is how
 * certificates are rotated without a restart.
 */
public final class TlsContexts {
    /** The in-memory key store's password: the store never leaves the process. */
    private static final char[] STORE_PASSWORD = "baton".toCharArray();

    private TlsContexts() {
    }

    /**
     * A key manager presenting the certificate chain in {@code certFile} with the key in
     * {@code keyFile} (both may be the same file, as Patroni allows).
     *
     * @param keyFile the key, or null when it is in {@code certFile}
     * @param keyPassword the key's password, or null
     */
    public static KeyManagerFactory keyManagers(Path certFile, Path keyFile, String keyPassword) throws TlsException {
        List<X509Certificate> chain = Pem.certificates(certFile);
        Path kf = keyFile != null ? keyFile : certFile;
        PrivateKey key = Pem.privateKey(kf, keyPassword);
        if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())
                || !matches(chain.get(0), key)) {
            throw new TlsException(kf + ": the private key does not belong to the certificate in " + certFile);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("key", key, STORE_PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, STORE_PASSWORD);
            return kmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException(certFile + ": cannot use the certificate and key: " + Pem.reason(e), e);
        }
    }

    /** Trust in the CA certificates of {@code caFile} only, or the JDK's default CAs when it is null. */
    public static TrustManagerFactory trustManagers(Path caFile) throws TlsException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                tmf.init((KeyStore) null);
                return tmf;
            }
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (X509Certificate c : Pem.certificates(caFile)) {
                ts.setCertificateEntry("ca" + i++, c);
            }
            tmf.init(ts);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException(caFile + ": cannot use the CA certificates: " + Pem.reason(e), e);
        }
    }

    /** A TLS context with the given managers (either may be null: no certificate to present, default trust). */
    public static SSLContext context(KeyManagerFactory keys, TrustManager[] trust) throws TlsException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            KeyManager[] km = keys == null ? null : keys.getKeyManagers();
            ctx.init(km, trust, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new TlsException("cannot create a TLS context: " + Pem.reason(e), e);
        }
    }

    /** A TLS context that presents {@code keys} (may be null) and trusts {@code caFile} (null: JDK CAs). */
    public static SSLContext context(KeyManagerFactory keys, Path caFile) throws TlsException {
        return context(keys, trustManagers(caFile).getTrustManagers());
    }

    /**
     * Trusts every server certificate: patronictl's {@code ctl.insecure}, libpq's
     * {@code sslmode=require}. Being an extended trust manager it also skips the host name check
     * (the JDK checks host names inside the trust manager, and wraps only a plain
     * {@code X509TrustManager} with one), so no JVM-wide switch is needed and other clients keep
     * verifying. Encrypts, but does not authenticate the server.
     */
    public static TrustManager[] trustAll() {
        return new TrustManager[] {new TrustAll()};
    }

    private static final class TrustAll extends javax.net.ssl.X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            throw new UnsupportedOperationException("a client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            // insecure on purpose: the operator asked for it
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
            throw new UnsupportedOperationException("a client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
            // insecure on purpose
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("a client-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // insecure on purpose
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Whether {@code key} is the private half of the certificate's public key (signs, and it verifies). */
    private static boolean matches(X509Certificate cert, PrivateKey key) {
        try {
            String alg = switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (alg == null) {
                return true; // an algorithm we cannot test here; the handshake will tell
            }
            byte[] probe = "baton-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            java.security.Signature v = java.security.Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
