package dev.baton.cli.local;

import dev.baton.cli.support.Poll;
import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A single-member etcd on loopback ports with its own data directory, as a child process: plain
 * http, or ({@link Security}) TLS with client-certificate authentication and, optionally, etcd's
 * users and roles turned on ({@code auth enable}) the way docs/security.md tells operators to.
 */
public final class LocalEtcd implements AutoCloseable {

    /**
     * etcd with TLS: it serves {@code serverCert}/{@code serverKey}, requires client certificates
     * signed by {@code caFile} ({@code --client-cert-auth}), and etcdctl and the health check
     * present {@code clientCert}/{@code clientKey}. The certificates must name 127.0.0.1, and the
     * client certificate must have no CommonName if {@code auth} is to apply (etcd would take the
     * CommonName as the user).
     *
     * @param auth                users and roles to create before {@code auth enable}, or null to leave auth off
     * @param authTokenTtlSeconds etcd's {@code --auth-token-ttl} (simple tokens), 0 for etcd's default (300)
     */
    public record Security(Path caFile, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
                           Auth auth, int authTokenTtlSeconds) {
        public Security {
            Objects.requireNonNull(caFile, "caFile");
            Objects.requireNonNull(serverCert, "serverCert");
            Objects.requireNonNull(serverKey, "serverKey");
            Objects.requireNonNull(clientCert, "clientCert");
            Objects.requireNonNull(clientKey, "clientKey");
        }
    }

    /**
     * etcd's authentication: a {@code root} user (etcd requires it before {@code auth enable}) and
     * {@code user}, whose role {@code user} may read and write every key under {@code prefix} (the
     * cluster's keys, e.g. {@code /service/demo/}) and nothing else. Passwords reach etcdctl on
     * stdin and in its environment, never in argv.
     */
    public record Auth(String rootPassword, String user, String password, String prefix) {
        public Auth {
            Objects.requireNonNull(rootPassword, "rootPassword");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Objects.requireNonNull(prefix, "prefix");
        }

        @Override
        public String toString() {
            return "Auth[user=" + user + ", prefix=" + prefix + "]";
        }
    }

    private final Path dir;
    private final int clientPort;
    private final int peerPort;
    private final Security security;
    private boolean authEnabled;
    private Process process;

    /** Plain http, no authentication. */
    public LocalEtcd(Path dir) {
        this(dir, null);
    }

    /** With TLS and client-certificate authentication when {@code security} is not null. */
    public LocalEtcd(Path dir, Security security) {
        this.dir = dir;
        this.security = security;
        this.clientPort = Ports.free();
        this.peerPort = Ports.free();
    }

    /** {@code 127.0.0.1:PORT}. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** {@code http://127.0.0.1:PORT}, or https with {@link Security}. */
    public String clientUrl() {
        return (security == null ? "http://" : "https://") + endpoint();
    }

    public int clientPort() {
        return clientPort;
    }

    public Path directory() {
        return dir;
    }

    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Files.createDirectories(dir);
        String client = clientUrl();
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of(Binaries.require("etcd", "etcd-server").toString(),
                "--name", "default", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "default=" + peer, "--log-level", "warn"));
        if (security != null) {
            command.addAll(List.of("--cert-file", security.serverCert().toString(),
                    "--key-file", security.serverKey().toString(),
                    "--trusted-ca-file", security.caFile().toString(), "--client-cert-auth"));
            if (security.authTokenTtlSeconds() > 0) {
                command.addAll(List.of("--auth-token", "simple",
                        "--auth-token-ttl", Integer.toString(security.authTokenTtlSeconds())));
            }
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
        process = pb.start();
        HttpClient http = httpClient();
        Boolean up = Poll.system().until(Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> process.isAlive() ? healthy(http, client) : null, u -> u == null || u);
        if (up == null) {
            throw new IOException("etcd exited at start; see " + dir.resolve("etcd.log"));
        }
        if (!up) {
            throw new IOException("etcd did not become healthy within 30 s; see " + dir.resolve("etcd.log"));
        }
        if (security != null && security.auth() != null && !authEnabled) {
            enableAuth(security.auth());
            authEnabled = true;
        }
    }

    /**
     * Creates root, the user and its role (readwrite on the prefix), then {@code auth enable}, with
     * etcdctl presenting the client certificate.
     */
    private void enableAuth(Auth auth) throws IOException, InterruptedException {
        etcdctl(auth.rootPassword(), null, "user", "add", "root", "--interactive=false");
        etcdctl(auth.password(), null, "user", "add", auth.user(), "--interactive=false");
        etcdctl(null, null, "role", "add", auth.user());
        etcdctl(null, null, "role", "grant-permission", auth.user(), "readwrite", "--prefix=true", auth.prefix());
        etcdctl(null, null, "user", "grant-role", auth.user(), auth.user());
        etcdctl(null, null, "auth", "enable");
        // From here on, etcdctl needs root: etcdctl(null, "root:" + rootPassword, ...).
    }

    /**
     * Runs etcdctl against this etcd with the client certificate; {@code stdin} is written to it (a
     * password), {@code user} ("name:password") goes in its environment. Returns its output.
     */
    public String etcdctl(String stdin, String user, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Binaries.require("etcdctl", "etcd-client").toString(),
                "--endpoints", clientUrl(), "--dial-timeout", "5s", "--command-timeout", "10s"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ETCD"));
        env.put("ETCDCTL_API", "3");
        if (security != null) {
            env.put("ETCDCTL_CACERT", security.caFile().toString());
            env.put("ETCDCTL_CERT", security.clientCert().toString());
            env.put("ETCDCTL_KEY", security.clientKey().toString());
        }
        if (user != null) {
            env.put("ETCDCTL_USER", user);
        }
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write((stdin + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("etcdctl " + String.join(" ", args) + " failed: " + out.strip());
        }
        return out;
    }

    private HttpClient httpClient() throws IOException {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
        if (security != null) {
            try {
                SSLContext ctx = TlsContexts.context(TlsContexts.keyManagers(security.clientCert(),
                        security.clientKey(), null), security.caFile());
                b.sslContext(ctx);
            } catch (TlsException e) {
                throw new IOException("etcd TLS files: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** Whether etcd answers {@code GET /health} with {@code true}. */
    private boolean healthy(HttpClient http, String client) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(client + "/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("true");
        } catch (IOException e) {
            return false; // not up yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops etcd (SIGTERM, then SIGKILL after 10 s). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }
}
