package dev.baton.agent.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.TlsContexts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * An HTTPS stand-in for an agent's REST API on loopback: a certificate of a given CA, optionally
 * requiring a client certificate of that CA; every path answers {@code status} with a small JSON
 * body, and every request is recorded with the headers that matter for security.
 */
final class TlsAgent implements AutoCloseable {
    /** One request as the server saw it. */
    record Request(String method, String path, String authorization, String contentType, boolean clientCertificate) {
    }

    static final Instant NOW = Instant.now();

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int status = 200;

    /**
     * @param dir where the server's certificate and key are written
     * @param ca the CA that issues the server's certificate (and verifies client certificates)
     * @param hosts the names in the server's certificate
     * @param requireClient whether a client certificate is required ({@code verify_client: required})
     */
    TlsAgent(Path dir, CertificateAuthority ca, List<String> hosts, boolean requireClient) throws Exception {
        Path crt = dir.resolve("server-" + System.nanoTime() + ".crt");
        Path key = dir.resolve("server-" + System.nanoTime() + ".key");
        ca.issueNode(hosts, Duration.ofDays(1), NOW).write(crt, key);
        Path caFile = dir.resolve("server-ca-" + System.nanoTime() + ".crt");
        ca.self().write(caFile, dir.resolve("server-ca-" + System.nanoTime() + ".key"));
        SSLContext ctx = TlsContexts.context(TlsContexts.keyManagers(crt, key, null), caFile);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx) {
            @Override
            public void configure(HttpsParameters p) {
                var params = ctx.getDefaultSSLParameters();
                if (requireClient) {
                    params.setNeedClientAuth(true);
                } else {
                    params.setWantClientAuth(true);
                }
                p.setSSLParameters(params);
            }
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    TlsAgent status(int s) {
        this.status = s;
        return this;
    }

    String base() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        boolean cert;
        try {
            cert = ((HttpsExchange) ex).getSSLSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            cert = false;
        }
        requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"), cert));
        byte[] body = "{\"message\":\"ok\",\"state\":\"running\",\"role\":\"replica\"}".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
