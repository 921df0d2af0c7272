package dev.baton.leader.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real single-node etcd for tests: its own free loopback ports, its own temporary data
 * directory, and a log file in that directory ({@link #logFile()}).
 *
 * <pre>{@code
 * try (EtcdServer etcd = EtcdServer.start()) {
 *     store = new EtcdClusterStore(List.of(etcd.endpoint()), ...);
 *     etcd.stop();      // outage (SIGTERM)
 *     etcd.restart();   // same ports, same data
 * }
 * }</pre>
 *
 * <p>Each instance is independent, so tests may run in parallel. Nothing outlives the JVM: a
 * shutdown hook kills running servers, and a tiny watchdog process ({@code sh} reading a pipe
 * from this JVM) kills the server even if the JVM itself is killed with SIGKILL.
 *
 * <p>The data helpers ({@link #getPrefix}, {@link #put}, {@link #delete}) go through etcd's
 * HTTP/JSON gRPC gateway ({@code /v3/kv/*}), the same path Patroni and patronictl use.
 */
public final class EtcdServer implements AutoCloseable {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 5;
    private static final String NAME = "baton-test";

    private static final Set<EtcdServer> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private final Path binary;
    private final Path directory;
    private final Path dataDir;
    private final Path logFile;
    private final int clientPort;
    private final int peerPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Process process;      // guarded by this
    private Process watchdog;     // guarded by this
    private boolean frozen;       // guarded by this
    private boolean closed;       // guarded by this

    private EtcdServer(Path binary, Path directory, int clientPort, int peerPort) {
        this.binary = binary;
        this.directory = directory;
        this.dataDir = directory.resolve("data");
        this.logFile = directory.resolve("etcd.log");
        this.clientPort = clientPort;
        this.peerPort = peerPort;
    }

    /** Starts a fresh etcd and waits until it reports healthy. */
    public static EtcdServer start() {
        Path binary = etcdBinary();
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            Path dir;
            try {
                dir = Files.createTempDirectory("baton-etcd-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for etcd", e);
            }
            EtcdServer server = new EtcdServer(binary, dir, Ports.freePort(), Ports.freePort());
            installHook();
            LIVE.add(server);
            try {
                server.launch();
                return server;
            } catch (IllegalStateException e) {
                last = e;
                boolean portTaken = server.logText().contains("address already in use");
                server.close();
                if (!portTaken) {
                    throw e;
                }
            }
        }
        throw last;
    }

    /** {@code /usr/bin/etcd}, or {@code etcd} found on PATH. */
    public static Path etcdBinary() {
        Path usual = Path.of("/usr/bin/etcd");
        if (Files.isExecutable(usual)) {
            return usual;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "etcd");
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("etcd not found at /usr/bin/etcd or on PATH (apt-get install etcd-server)");
    }

    /** {@code 127.0.0.1:PORT}, the form {@code EtcdClusterStore} takes. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** {@code http://127.0.0.1:PORT}, the form etcdctl and Patroni's {@code etcd3.hosts} take. */
    public String clientUrl() {
        return "http://" + endpoint();
    }

    public int clientPort() {
        return clientPort;
    }

    public int peerPort() {
        return peerPort;
    }

    /** The temporary directory holding {@link #dataDir()} and {@link #logFile()}. */
    public Path directory() {
        return directory;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** etcd's output, appended across restarts. */
    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id of the running etcd. */
    public synchronized long pid() {
        requireRunning();
        return process.pid();
    }

    /** Stops etcd gracefully (SIGTERM, then SIGKILL after 10 s) and waits for it. No-op if not running. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        if (frozen) {
            signal("CONT");
            frozen = false;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
        stopWatchdog();
    }

    /** Kills etcd with SIGKILL (a crash) and waits for it. No-op if not running. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        frozen = false;
        stopWatchdog();
    }

    /**
     * Starts etcd again on the same ports with the same data (after {@link #stop()} or
     * {@link #kill()}; a running server is stopped first) and waits until it is healthy.
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("etcd server was closed");
        }
        stop();
        launch();
    }

    /** Suspends etcd with SIGSTOP: connections stay open but nothing answers (a hung server). */
    public synchronized void freeze() {
        requireRunning();
        if (!frozen) {
            signal("STOP");
            frozen = true;
        }
    }

    /** Resumes etcd after {@link #freeze()}. */
    public synchronized void thaw() {
        if (process != null && frozen) {
            signal("CONT");
            frozen = false;
        }
    }

    /** Stops etcd and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        deleteRecursively(directory);
        LIVE.remove(this);
    }

    @Override
    public String toString() {
        return "EtcdServer[" + endpoint() + ", " + directory + "]";
    }

    // ------------------------------------------------------------------------------------------
    // Data helpers over the gRPC gateway (what patronictl uses)
    // ------------------------------------------------------------------------------------------

    /** Every key starting with {@code prefix} and its value, sorted by key. */
    public Map<String, String> getPrefix(String prefix) {
        String body = "{\"key\":\"" + b64(prefix) + "\",\"range_end\":\"" + b64(prefixEnd(prefix)) + "\"}";
        return parseKvs(post("/v3/kv/range", body));
    }

    /** One key's value. */
    public Optional<String> get(String key) {
        Map<String, String> kvs = parseKvs(post("/v3/kv/range", "{\"key\":\"" + b64(key) + "\"}"));
        return Optional.ofNullable(kvs.get(key));
    }

    /** Puts a key without lease. */
    public void put(String key, String value) {
        post("/v3/kv/put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}");
    }

    /** Deletes one key. */
    public void delete(String key) {
        post("/v3/kv/deleterange", "{\"key\":\"" + b64(key) + "\"}");
    }

    private String post(String path, String json) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(clientUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("etcd gateway " + path + " answered " + response.statusCode()
                        + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("etcd gateway " + path + " on " + endpoint() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static final Pattern KV = Pattern.compile("\\{[^{}]*\"key\":\"([A-Za-z0-9+/=]*)\"[^{}]*}");
    private static final Pattern VALUE = Pattern.compile("\"value\":\"([A-Za-z0-9+/=]*)\"");

    private static Map<String, String> parseKvs(String json) {
        Map<String, String> result = new TreeMap<>();
        int kvs = json.indexOf("\"kvs\"");
        if (kvs < 0) {
            return result;
        }
        Matcher m = KV.matcher(json);
        m.region(kvs, json.length());
        while (m.find()) {
            Matcher v = VALUE.matcher(m.group());
            String value = v.find() ? unb64(v.group(1)) : "";   // proto3 JSON omits empty bytes
            result.put(unb64(m.group(1)), value);
        }
        return result;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }

    private static String prefixEnd(String prefix) {
        byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(bytes, i + 1);
                end[i]++;
                return new String(end, StandardCharsets.ISO_8859_1);
            }
        }
        return "\0";
    }

    // ------------------------------------------------------------------------------------------
    // Process handling
    // ------------------------------------------------------------------------------------------

    private synchronized void launch() {
        List<String> command = List.of(
                binary.toString(),
                "--name", NAME,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl(),
                "--advertise-client-urls", clientUrl(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-cluster", NAME + "=http://127.0.0.1:" + peerPort,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "baton-test-" + clientPort,
                "--logger", "zap",
                "--log-outputs", "stderr");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
        frozen = false;
        startWatchdog(process.pid());
        awaitHealthy();
    }

    private void awaitHealthy() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create(clientUrl() + "/health"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                int code = process.exitValue();
                process = null;
                stopWatchdog();
                throw new IllegalStateException("etcd on " + endpoint() + " exited with " + code
                        + " during startup; log tail:\n" + logTail());
            }
            if (portOpen()) {
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().replace(" ", "").contains("\"health\":\"true\"")) {
                        return;
                    }
                } catch (IOException e) {
                    // not ready yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for etcd", e);
                }
            }
            sleep(50);
        }
        kill();
        throw new IllegalStateException("etcd on " + endpoint() + " not healthy within " + STARTUP_TIMEOUT
                + "; log tail:\n" + logTail());
    }

    private boolean portOpen() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(Ports.loopback(), clientPort), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A process that SIGKILLs etcd when its stdin (a pipe from this JVM) closes, i.e. when the JVM dies. */
    private void startWatchdog(long pid) {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "cat >/dev/null; kill -9 " + pid + " 2>/dev/null")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            watchdog = pb.start();
        } catch (IOException e) {
            watchdog = null;   // the shutdown hook still covers a normal JVM exit
        }
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            // Kill the shell first, then the pipe closes and cat exits without anything being killed.
            watchdog.destroyForcibly();
            try {
                watchdog.getOutputStream().close();
            } catch (IOException ignored) {
                // already closed
            }
            watchdog = null;
        }
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void requireRunning() {
        if (process == null) {
            throw new IllegalStateException("etcd on " + endpoint() + " is not running");
        }
    }

    private String logText() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The last lines of the etcd log (for failure messages). */
    public String logTail() {
        String[] lines = logText().split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 30), lines.length));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        synchronized (LIVE) {
            if (hookInstalled) {
                return;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (EtcdServer server : LIVE) {
                    Process p = server.process;   // racy read is fine: the JVM is exiting
                    if (p != null) {
                        p.destroyForcibly();
                    }
                    Process w = server.watchdog;
                    if (w != null) {
                        w.destroyForcibly();
                    }
                    deleteRecursively(server.directory);
                }
            }, "baton-etcd-cleanup"));
            hookInstalled = true;
        }
    }
}
