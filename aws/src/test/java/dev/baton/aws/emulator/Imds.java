package dev.baton.aws.emulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.LongSupplier;

/**
 * The instance metadata service (IMDSv2 only) as one instance sees it: {@code PUT
 * /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds} (1..21600) gives a token;
 * every {@code GET} needs it in {@code X-aws-ec2-metadata-token} (401 without it or when it
 * expired). Answers instance-id, placement/region, placement/availability-zone, local-ipv4 and
 * the instance identity document.
 */
final class Imds implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, Long> tokens = new ConcurrentHashMap<>();
    private final Map<String, String> paths;
    private final LongSupplier nanos;

    Imds(String instanceId, String region, String az, String privateIp, ExecutorService executor, LongSupplier nanos) {
        this(instanceId, region, az, privateIp, null, executor, nanos);
    }

    /**
     * @param instanceProfile the instance's profile (ARN or name), or null: with one, the role's
     *                        temporary credentials under iam/security-credentials/ (the role has
     *                        the profile's name, as create-cluster makes them), which the SDK's and
     *                        the aws CLI's default chains read on an instance
     */
    Imds(String instanceId, String region, String az, String privateIp, String instanceProfile,
         ExecutorService executor, LongSupplier nanos) {
        this.nanos = nanos;
        Map<String, String> p = new java.util.HashMap<>(Map.of(
                "/latest/meta-data/instance-id", instanceId,
                "/latest/meta-data/placement/region", region,
                "/latest/meta-data/placement/availability-zone", az,
                "/latest/meta-data/local-ipv4", privateIp,
                "/latest/meta-data/", "instance-id\nlocal-ipv4\nplacement/",
                "/latest/dynamic/instance-identity/document", "{\"accountId\":\"" + World.ACCOUNT
                        + "\",\"availabilityZone\":\"" + az + "\",\"instanceId\":\"" + instanceId
                        + "\",\"privateIp\":\"" + privateIp + "\",\"region\":\"" + region + "\"}"));
        if (instanceProfile != null) {
            String role = instanceProfile.substring(instanceProfile.lastIndexOf('/') + 1);
            p.put("/latest/meta-data/iam/security-credentials/", role);
            p.put("/latest/meta-data/iam/security-credentials/" + role, "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
                    + "\"AccessKeyId\":\"ASIAEMULATOR\",\"SecretAccessKey\":\"emulator\",\"Token\":\"emulator-token\","
                    + "\"LastUpdated\":\"" + java.time.Instant.now() + "\",\"Expiration\":\""
                    + java.time.Instant.now().plus(java.time.Duration.ofHours(6)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\"}");
        }
        this.paths = Map.copyOf(p);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            if (path.equals("/latest/api/token")) {
                if (!ex.getRequestMethod().equals("PUT")) {
                    reply(ex, 405, "");
                    return;
                }
                String ttl = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
                int seconds;
                try {
                    seconds = Integer.parseInt(ttl == null ? "" : ttl.trim());
                } catch (NumberFormatException e) {
                    seconds = -1;
                }
                if (seconds < 1 || seconds > 21600) {
                    reply(ex, 400, "");
                    return;
                }
                String token = "AQAE" + UUID.randomUUID().toString().replace("-", "");
                tokens.put(token, nanos.getAsLong() + seconds * 1_000_000_000L);
                ex.getResponseHeaders().set("X-aws-ec2-metadata-token-ttl-seconds", Integer.toString(seconds));
                reply(ex, 200, token);
                return;
            }
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                reply(ex, 405, "");
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            Long expiry = token == null ? null : tokens.get(token);
            if (expiry == null || nanos.getAsLong() - expiry >= 0) {
                reply(ex, 401, "");
                return;
            }
            String value = paths.get(path);
            if (value == null) {
                reply(ex, 404, "");
                return;
            }
            reply(ex, 200, value);
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        if (b.length == 0 || ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
