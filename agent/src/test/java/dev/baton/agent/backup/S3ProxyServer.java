package dev.baton.agent.backup;

import dev.baton.config.tls.CertificateAuthority;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * An S3-compatible server on loopback over TLS for tests: <a href="https://github.com/gaul/s3proxy">S3Proxy</a>
 * (Maven Central {@code org.gaul:s3proxy:2.6.0}, {@code jar-with-dependencies}), run as its own
 * {@code java -jar} process so that its Jetty, jclouds and Guava never meet the test class path.
 * Maven copies the jar to {@code target/s3proxy/s3proxy.jar} before the integration tests
 * (agent/pom.xml); the system property {@code baton.s3proxy.jar} points elsewhere.
 *
 * <p>The server listens on {@code https://127.0.0.1:PORT} (a free port) with a certificate whose
 * CommonName is {@code 127.0.0.1}, issued by a CA made for this server ({@link #caFile()}),
 * checks AWS signatures (v2 or v4) against a random access key and secret, and keeps objects in
 * a directory (jclouds' filesystem backend) where one bucket exists from the start. {@link
 * #close()} stops the process. The secret is only in a 0600 properties file, never in argv.
 */
public final class S3ProxyServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final int port;
    private final String bucket;
    private final String accessKey;
    private final String secretKey;
    private final Path caFile;
    private final Path log;
    private final Path data;

    private S3ProxyServer(Process process, int port, String bucket, String accessKey, String secretKey, Path caFile,
                          Path log, Path data) {
        this.process = process;
        this.port = port;
        this.bucket = bucket;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.caFile = caFile;
        this.log = log;
        this.data = data;
    }

    /** The S3Proxy jar: {@code -Dbaton.s3proxy.jar}, else {@code target/s3proxy/s3proxy.jar} of this module. */
    public static Path jar() {
        String configured = System.getProperty("baton.s3proxy.jar");
        Path p = configured != null ? Path.of(configured) : Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("S3Proxy jar not found at " + p + ": run the test through `mvn verify` "
                    + "(the maven-dependency-plugin copies org.gaul:s3proxy:2.6.0:jar-with-dependencies there) "
                    + "or set -Dbaton.s3proxy.jar");
        }
        return p;
    }

    /**
     * Starts S3Proxy with its files (keystore, properties, objects, log) under {@code dir} and one
     * bucket named {@code bucket}; returns once it accepts connections.
     */
    public static S3ProxyServer start(Path dir, String bucket) throws IOException, InterruptedException {
        Objects.requireNonNull(bucket, "bucket");
        Files.createDirectories(dir);
        SecureRandom random = new SecureRandom();
        String accessKey = "AKIA" + HexFormat.of().withUpperCase().formatHex(random.generateSeed(8));
        String secretKey = HexFormat.of().formatHex(random.generateSeed(20));
        String storePassword = HexFormat.of().formatHex(random.generateSeed(12));

        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("s3proxy test CA", Duration.ofDays(2), now);
        // CommonName only: pgBackRest matches the host against DNS names among the subject alternative
        // names and, only when the certificate has none at all, against the CommonName (an IP SAN
        // would hide the CommonName and match nothing).
        CertificateAuthority.Issued server = ca.issue("127.0.0.1", List.of(),
                java.util.EnumSet.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1), now);
        Path caFile = dir.resolve("ca.crt");
        ca.self().write(caFile, dir.resolve("ca.key"));
        Path keystore = dir.resolve("keystore.p12");
        try (OutputStream out = Files.newOutputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("s3proxy", server.key(), storePassword.toCharArray(),
                    new Certificate[] {server.certificate(), ca.certificate()});
            ks.store(out, storePassword.toCharArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the S3Proxy keystore", e);
        }

        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve(bucket)); // the filesystem backend: a bucket is a directory
        int port = freePort();
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.secure-endpoint=https://127.0.0.1:" + port,
                "s3proxy.keystore-path=" + keystore.toAbsolutePath(),
                "s3proxy.keystore-password=" + storePassword,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + accessKey,
                "s3proxy.credential=" + secretKey,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(props, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-------"));

        Path log = dir.resolve("s3proxy.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar().toString(),
                "--properties", props.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        Process process = pb.start();
        S3ProxyServer s3 = new S3ProxyServer(process, port, bucket, accessKey, secretKey, caFile, log, data);
        try {
            s3.awaitListening();
        } catch (IOException | RuntimeException | InterruptedException e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with status " + process.exitValue() + ": " + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("S3Proxy does not listen on 127.0.0.1:" + port + " after " + START_TIMEOUT
                            + ": " + logTail());
                }
                Thread.sleep(100);
            }
        }
    }

    /** The last 4 KB of the server's output, for failure messages. */
    public String logTail() {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() > 4096 ? text.substring(text.length() - 4096) : text;
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The host to connect to: {@code 127.0.0.1}. */
    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}. */
    public String endpoint() {
        return host() + ":" + port;
    }

    public String bucket() {
        return bucket;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** The PEM file of the CA that issued the server's certificate. */
    public Path caFile() {
        return caFile;
    }

    /** Where the backend keeps the objects: {@code <data>/<bucket>/<key>}. */
    public Path dataDir() {
        return data;
    }

    /** The region to sign for; S3Proxy accepts any. */
    public String region() {
        return "us-east-1";
    }

    /** Stops the server process (and waits for it). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
