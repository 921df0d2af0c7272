package dev.baton.cli.local;

import dev.baton.cli.support.Poll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A single-member etcd on loopback ports with its own data directory, as a child process. */
public final class LocalEtcd implements AutoCloseable {
    private final Path dir;
    private final int clientPort;
    private final int peerPort;
    private Process process;

    public LocalEtcd(Path dir) {
        this.dir = dir;
        this.clientPort = Ports.free();
        this.peerPort = Ports.free();
    }

    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    public int clientPort() {
        return clientPort;
    }

    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Files.createDirectories(dir);
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        process = new ProcessBuilder(List.of(Binaries.require("etcd", "etcd-server").toString(),
                "--name", "default", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "default=" + peer, "--log-level", "warn"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
                .start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Boolean up = Poll.system().until(Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> process.isAlive() ? healthy(http, client) : null, u -> u == null || u);
        if (up == null) {
            throw new IOException("etcd exited at start; see " + dir.resolve("etcd.log"));
        }
        if (up) {
            return;
        }
        throw new IOException("etcd did not become healthy within 30 s; see " + dir.resolve("etcd.log"));
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
