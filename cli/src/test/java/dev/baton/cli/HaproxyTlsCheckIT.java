package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.baton.cli.local.Binaries;
import dev.baton.cli.local.Ports;
import dev.baton.cli.support.Poll;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HAProxy as deploy/haproxy/haproxy-tls.cfg runs it: each server's health endpoint is HTTPS with
 * {@code verify_client: required}, checked with {@code check-ssl verify required ca-file ...} and a
 * client certificate ({@code crt}). Real HAProxy, and small JDK HTTPS servers standing in for the
 * agents' {@code /primary} (certificates from {@link CertificateAuthority}). Clients are routed
 * only to the server whose check answers 200 over a verified connection: never to the one that
 * answers 503, nor to one that answers 200 with a certificate of another CA.
 */
class HaproxyTlsCheckIT {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private Process haproxy;

    @AfterEach
    void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(5, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly();
            }
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A backend: its data port (greets with its name) and its HTTPS health endpoint. */
    private record Backend(String name, int dataPort, int healthPort, Set<String> clientSubjects) {
    }

    private Backend backend(String name, int primaryStatus, SSLContext tls) throws IOException {
        ServerSocket data = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(data);
        Thread t = new Thread(() -> {
            while (!data.isClosed()) {
                try (Socket s = data.accept(); OutputStream os = s.getOutputStream()) {
                    os.write((name + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed at the end of the test
                }
            }
        }, "data-" + name);
        t.setDaemon(true);
        t.start();
        HttpsServer health = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        health.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters p) {
                var params = tls.getDefaultSSLParameters();
                params.setNeedClientAuth(true); // verify_client: required
                p.setSSLParameters(params);
            }
        });
        Set<String> subjects = ConcurrentHashMap.newKeySet();
        health.createContext("/", ex -> {
            try {
                subjects.add(((java.security.cert.X509Certificate) ((HttpsExchange) ex).getSSLSession()
                        .getPeerCertificates()[0]).getSubjectX500Principal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                subjects.add("(none)");
            }
            int status = ex.getRequestURI().getPath().equals("/primary") ? primaryStatus : 404;
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        health.start();
        open.add(() -> health.stop(0));
        return new Backend(name, data.getLocalPort(), health.getAddress().getPort(), subjects);
    }

    private SSLContext serverTls(CertificateAuthority ca, String name, Path caFile) throws Exception {
        Path crt = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        ca.issueNode(List.of("localhost", "127.0.0.1"), Duration.ofDays(1), Instant.now()).write(crt, key);
        return TlsContexts.context(TlsContexts.keyManagers(crt, key, null), caFile);
    }

    private String greeting(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            String line = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return line.isEmpty() ? null : line;
        } catch (IOException e) {
            return null;
        }
    }

    @Test
    void routesOnlyToTheServerWhoseVerifiedTlsCheckAnswers200() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test CA", Duration.ofDays(1), Instant.now());
        Path caFile = dir.resolve("ca.crt");
        Files.writeString(caFile, Pem.encode(ca.certificate()));
        CertificateAuthority stranger = CertificateAuthority.create("another CA", Duration.ofDays(1), Instant.now());

        Backend primary = backend("primary", 200, serverTls(ca, "node1", caFile));
        Backend replica = backend("replica", 503, serverTls(ca, "node2", caFile));
        // Answers 200 too, but with a certificate HAProxy must not trust.
        Backend impostor = backend("impostor", 200, serverTls(stranger, "node3", caFile));

        // HAProxy's own client certificate: a client certificate of the cluster CA, cert and key in one PEM.
        CertificateAuthority.Issued client = ca.issue(null, List.of(), java.util.EnumSet.of(
                CertificateAuthority.Usage.CLIENT), Duration.ofDays(1), Instant.now());
        Path clientPem = dir.resolve("haproxy-client.pem");
        Files.writeString(clientPem, Pem.encode(client.certificate()) + Pem.encode(client.key()));

        int front = Ports.free();
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 100
                defaults
                    mode tcp
                    timeout connect 2s
                    timeout client 5s
                    timeout server 5s
                    timeout check 1s
                listen primary
                """);
        cfg.append("    bind 127.0.0.1:").append(front).append('\n')
                .append("    option httpchk GET /primary\n")
                .append("    http-check expect status 200\n")
                .append("    default-server inter 1s fastinter 200ms downinter 200ms fall 2 rise 1 check-ssl "
                        + "verify required verifyhost localhost ca-file ").append(caFile)
                .append(" crt ").append(clientPem).append('\n');
        for (Backend b : List.of(primary, replica, impostor)) {
            cfg.append("    server ").append(b.name()).append(" 127.0.0.1:").append(b.dataPort())
                    .append(" check port ").append(b.healthPort()).append('\n');
        }
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg.toString());
        Process check = new ProcessBuilder(Binaries.require("haproxy", "haproxy").toString(), "-c", "-f", file.toString())
                .redirectErrorStream(true).start();
        String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, check.waitFor(), checkOut);
        haproxy = new ProcessBuilder(Binaries.require("haproxy", "haproxy").toString(), "-f", file.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();

        // HAProxy starts with every server up until its checks say otherwise ("fall 2"): wait until
        // round robin over the three has sent ten connections in a row to the same one.
        List<String> lastTen = new ArrayList<>();
        Poll.system().until(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
            lastTen.add(String.valueOf(greeting(front)));
            if (lastTen.size() > 10) {
                lastTen.remove(0);
            }
            return lastTen.size() == 10 && lastTen.stream().distinct().count() == 1;
        });
        assertEquals("primary", lastTen.get(0), lastTen + ", haproxy.log:\n" + Files.readString(dir.resolve("haproxy.log")));
        for (int i = 0; i < 20; i++) {
            assertEquals("primary", greeting(front), "connection " + i + " went elsewhere");
        }
        assertTrue(primary.clientSubjects().contains("O=Baton"), "HAProxy presented its client certificate: "
                + primary.clientSubjects());
        assertFalse(primary.clientSubjects().contains("(none)"));
        assertFalse(replica.clientSubjects().isEmpty(), "the replica was checked (and answered 503)");
        assertTrue(impostor.clientSubjects().isEmpty(), "the impostor's check never got past the TLS handshake: "
                + impostor.clientSubjects());
    }
}
