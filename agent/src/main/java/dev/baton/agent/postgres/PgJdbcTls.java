package dev.baton.agent.postgres;

import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import org.postgresql.ssl.WrappedFactory;

/**
 * The superuser's libpq options ({@code sslmode}, {@code sslrootcert}, ...) for the agent's own
 * JDBC connection to its server, so that it connects as libpq would. pgjdbc names some of them
 * differently and reads client keys only in DER form, so the certificates and keys are read by
 * Baton's own PEM reader ({@link SocketFactory}); pgjdbc checks the host name itself for
 * {@code verify-full}. pgjdbc has no certificate revocation lists: {@code sslcrl} and
 * {@code sslcrldir} apply to libpq's connections (pg_rewind, pg_basebackup, the WAL receiver),
 * not to this connection to the node's own server.
 */
public final class PgJdbcTls {
    private PgJdbcTls() {
    }

    /** The pgjdbc properties for the libpq options; none for none (pgjdbc's defaults, as before). */
    static Properties properties(Map<String, String> libpq) {
        Properties p = new Properties();
        if (libpq.isEmpty()) {
            return p;
        }
        libpq.forEach((keyword, value) -> {
            switch (keyword) {
                case "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword" -> p.setProperty(keyword, value);
                case "gssencmode" -> p.setProperty("gssEncMode", value);
                case "channel_binding" -> p.setProperty("channelBinding", value);
                default -> {
                    // sslcrl, sslcrldir: see the class comment
                }
            }
        });
        if (!"disable".equals(p.getProperty("sslmode"))) {
            p.setProperty("sslfactory", SocketFactory.class.getName());
        }
        return p;
    }

    /**
     * A pgjdbc {@code sslfactory} that presents {@code sslcert}/{@code sslkey} (PEM, encrypted
     * with {@code sslpassword} or not) and verifies the server against {@code sslrootcert}, as
     * libpq does: with {@code verify-ca} and {@code verify-full}, and with any mode when a root
     * certificate is given. Without one, a verifying mode is refused rather than downgraded.
     */
    public static final class SocketFactory extends WrappedFactory {
        /** Called by pgjdbc with the connection's properties. */
        public SocketFactory(Properties info) throws TlsException {
            String mode = info.getProperty("sslmode", "prefer");
            Path root = path(info, "sslrootcert");
            Path cert = path(info, "sslcert");
            Path key = path(info, "sslkey");
            boolean verify = mode.startsWith("verify-") || root != null;
            if (verify && root == null) {
                throw new TlsException("sslmode " + mode + " needs sslrootcert: the CA to verify the server with");
            }
            KeyManagerFactory keys = cert == null ? null
                    : TlsContexts.keyManagers(cert, key, info.getProperty("sslpassword"));
            TrustManager[] trust = verify ? TlsContexts.trustManagers(root).getTrustManagers() : TlsContexts.trustAll();
            factory = TlsContexts.context(keys, trust).getSocketFactory();
        }

        private static Path path(Properties info, String key) {
            String v = info.getProperty(key);
            return v == null ? null : Path.of(v);
        }
    }
}
