package dev.baton.agent.client;

import dev.baton.config.TlsFiles;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The TLS context of a REST client, from {@link RestClientSettings}: the client certificate (when
 * one is set) and trust in {@code cacert}/{@code cafile} only (none: the JDK's default CAs), or in
 * every server with {@code insecure}. Each file is read on its own first, so that the exception
 * names the setting at fault.
 */
final class ClientTls {
    private ClientTls() {
    }

    static SSLContext context(RestClientSettings s) throws ClientSetupException {
        TlsFiles f = s.tls();
        KeyManagerFactory keys = null;
        if (f.certfile() != null) {
            read(s.names().certfile(), () -> Pem.certificates(f.certfile()));
            String keyName = f.keyfile() != null ? s.names().keyfile() : s.names().certfile();
            read(keyName, () -> Pem.privateKey(f.keyfile() != null ? f.keyfile() : f.certfile(), f.keyfilePassword()));
            keys = read(keyName, () -> TlsContexts.keyManagers(f.certfile(), f.keyfile(), f.keyfilePassword()));
        } else if (f.keyfile() != null || f.keyfilePassword() != null) {
            throw new ClientSetupException(f.keyfile() != null ? s.names().keyfile() : s.names().keyfilePassword(),
                    "needs " + s.names().certfile() + ": the client certificate", null);
        }
        TrustManager[] trust = s.insecure() ? TlsContexts.trustAll()
                : read(s.names().cafile(), () -> TlsContexts.trustManagers(f.cafile()).getTrustManagers());
        KeyManagerFactory k = keys;
        return read(s.names().certfile(), () -> TlsContexts.context(k, trust));
    }

    private interface Reading<T> {
        T read() throws TlsException;
    }

    private static <T> T read(String key, Reading<T> r) throws ClientSetupException {
        try {
            return r.read();
        } catch (TlsException e) {
            throw new ClientSetupException(key, e.getMessage(), e);
        }
    }
}
