package dev.baton.config;

import java.nio.file.Path;

/**
 * The PEM files of one TLS endpoint, in Patroni's terms: a certificate (with its chain), its
 * private key (null: the key is in the certificate file), the key's password (null: none), and the
 * CA certificates that peers are verified against (null: the JDK's default CAs, on a client; no
 * client verification, on a server).
 */
public record TlsFiles(Path certfile, Path keyfile, String keyfilePassword, Path cafile) {
    /** No files: a client that presents no certificate and trusts the default CAs. */
    public static final TlsFiles NONE = new TlsFiles(null, null, null, null);

    public boolean hasCertificate() {
        return certfile != null;
    }

    /** Never reveals the key's password. */
    @Override
    public String toString() {
        return "TlsFiles[certfile=" + certfile + ", keyfile=" + keyfile + ", keyfilePassword="
                + (keyfilePassword == null ? "null" : "****") + ", cafile=" + cafile + "]";
    }
}
