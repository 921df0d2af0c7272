package dev.baton.agent.api;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The REST API's TLS: the server certificate and key ({@code restapi.certfile}, {@code keyfile},
 * {@code keyfile_password}), the CA that client certificates are verified against ({@code cafile}),
 * {@code verify_client} and {@code ciphers}; TLS 1.2 at least. The files are read at start, where
 * any problem stops the agent naming the key ({@link #check}), and again by {@link #reload}, which
 * swaps the context used for new connections (certificate rotation without a restart) or, if the
 * new files cannot be used, keeps the old one and says why in the log.
 */
public final class RestTls {
    private static final Logger LOG = Logger.getLogger(RestTls.class.getName());
    /** TLS 1.2 at least, as Python's default context in Patroni. */
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** What stops the agent: the key (e.g. {@code restapi.keyfile}) and what is wrong with it. */
    public record Problem(String key, String message) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    /** Loading failed, for {@link Problem}'s key. */
    static final class Failure extends Exception {
        final transient Problem problem;

        Failure(Problem problem) {
            super(problem.toString());
            this.problem = problem;
        }
    }

    private final RestApiConfig config;
    private final List<String> suites;
    private final AtomicReference<SSLContext> current;
    private final SSLContext delegating;

    private RestTls(RestApiConfig config, List<String> suites, SSLContext first) {
        this.config = config;
        this.suites = suites;
        this.current = new AtomicReference<>(first);
        this.delegating = new SSLContext(new Delegate(current), first.getProvider(), first.getProtocol()) {
        };
    }

    /** Reads the files and the cipher list of an HTTPS {@code restapi}. */
    static RestTls load(RestApiConfig c) throws Failure {
        List<String> suites = suites(c.ciphers());
        return new RestTls(c, suites, context(c.tls()));
    }

    /**
     * What would stop the agent: the cipher list's problem and the files' first problem, each
     * named by its key; empty for usable settings and for plain HTTP. For {@code AgentPreflight}.
     */
    public static List<Problem> check(RestApiConfig c) {
        if (!c.https()) {
            return List.of();
        }
        List<Problem> problems = new ArrayList<>();
        try {
            suites(c.ciphers());
        } catch (Failure f) {
            problems.add(f.problem);
        }
        try {
            context(c.tls());
        } catch (Failure f) {
            problems.add(f.problem);
        }
        return List.copyOf(problems);
    }

    /**
     * Reads the certificate, key and CA files again and serves them to new connections. A failure
     * keeps the current ones; the log names the file and the reason, never the key's password.
     *
     * @return whether the new files are in use
     */
    public boolean reload() {
        try {
            current.set(context(config.tls()));
            LOG.info("REST API: TLS certificate, key and CA re-read (used by new connections)");
            return true;
        } catch (Failure f) {
            LOG.log(Level.SEVERE, "REST API: the TLS files cannot be used, still serving the previous ones: "
                    + f.problem);
            return false;
        }
    }

    /** The context the server is built with: it always hands out engines of the current one. */
    SSLContext context() {
        return delegating;
    }

    /** Per connection: protocols, suites and the client-certificate request. */
    HttpsConfigurator configurator() {
        return new HttpsConfigurator(delegating) {
            @Override
            public void configure(HttpsParameters params) {
                params.setSSLParameters(parameters());
            }
        };
    }

    SSLParameters parameters() {
        SSLContext ctx = current.get();
        SSLParameters p = ctx.getDefaultSSLParameters();
        Set<String> supported = Set.of(ctx.getSupportedSSLParameters().getProtocols());
        p.setProtocols(PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new));
        if (suites != null) {
            p.setCipherSuites(suites.toArray(new String[0]));
            p.setUseCipherSuitesOrder(true);
        }
        p.setNeedClientAuth(config.verifyClient() == VerifyClient.REQUIRED);
        if (config.verifyClient() == VerifyClient.OPTIONAL) {
            p.setWantClientAuth(true);
        }
        return p;
    }

    /** The suites of {@code restapi.ciphers}, or null when unset (the runtime's defaults). */
    static List<String> suites(String ciphers) throws Failure {
        if (ciphers == null || ciphers.isBlank()) {
            return null;
        }
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLS");
            ctx.init(null, null, null);
        } catch (NoSuchAlgorithmException | KeyManagementException e) {
            throw new Failure(new Problem("restapi.ciphers", "cannot list this Java runtime's cipher suites: " + e));
        }
        RestCiphers.Result r = RestCiphers.parse(ciphers, Set.of(ctx.getSupportedSSLParameters().getCipherSuites()),
                Arrays.asList(ctx.getDefaultSSLParameters().getCipherSuites()));
        if (r instanceof RestCiphers.Result.Bad bad) {
            throw new Failure(new Problem("restapi.ciphers", bad.message()));
        }
        return ((RestCiphers.Result.Ok) r).suites();
    }

    /** A server context from the files, each failure named by the key of the file it is about. */
    static SSLContext context(TlsFiles f) throws Failure {
        try {
            Pem.certificates(f.certfile());
        } catch (TlsException e) {
            throw new Failure(new Problem("restapi.certfile", e.getMessage()));
        }
        KeyManager[] keys;
        try {
            keys = TlsContexts.keyManagers(f.certfile(), f.keyfile(), f.keyfilePassword()).getKeyManagers();
        } catch (TlsException e) {
            throw new Failure(new Problem(f.keyfile() != null ? "restapi.keyfile" : "restapi.certfile", e.getMessage()));
        }
        TrustManager[] trust = null;
        if (f.cafile() != null) {
            try {
                trust = TlsContexts.trustManagers(f.cafile()).getTrustManagers();
            } catch (TlsException e) {
                throw new Failure(new Problem("restapi.cafile", e.getMessage()));
            }
        }
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, trust, new SecureRandom());
            return ctx;
        } catch (NoSuchAlgorithmException | KeyManagementException e) {
            throw new Failure(new Problem("restapi.certfile", "cannot create a TLS context: " + e.getMessage()));
        }
    }

    /** Hands every call to the current context, so that a reload reaches new connections. */
    private static final class Delegate extends SSLContextSpi {
        private final AtomicReference<SSLContext> current;

        Delegate(AtomicReference<SSLContext> current) {
            this.current = current;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("initialized from the configured files");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return current.get().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return current.get().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return current.get().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return current.get().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return current.get().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return current.get().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return current.get().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return current.get().getSupportedSSLParameters();
        }
    }
}
