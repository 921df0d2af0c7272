package dev.baton.aws.routing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The EC2 instance metadata service, IMDSv2 only: a session token first ({@code PUT
 * /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds}), then each read with
 * {@code X-aws-ec2-metadata-token}. IMDSv1 (plain GETs) is never used. The token is kept for one
 * lookup only: the agent reads its identity once.
 */
final class InstanceMetadata {
    static final String TOKEN_PATH = "/latest/api/token";
    static final String INSTANCE_ID_PATH = "/latest/meta-data/instance-id";
    static final String REGION_PATH = "/latest/meta-data/placement/region";
    private static final String TOKEN_TTL_SECONDS = "60";
    private static final Pattern SAFE_VALUE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param base    e.g. {@code http://169.254.169.254} (aws.metadata_url); a path is ignored
     * @param timeout per request; the service answers in milliseconds on an instance
     */
    InstanceMetadata(URI base, Duration timeout) {
        this.base = Objects.requireNonNull(base, "base");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY).build();
    }

    /** This instance's id, e.g. {@code i-0123456789abcdef0}. */
    String instanceId() throws IOException {
        return read(INSTANCE_ID_PATH);
    }

    /** This instance's region, e.g. {@code eu-west-1}. */
    String region() throws IOException {
        return read(REGION_PATH);
    }

    private String read(String path) throws IOException {
        String token = send(HttpRequest.newBuilder(resolve(TOKEN_PATH)).timeout(timeout)
                .header("X-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS)
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), "the IMDSv2 token");
        String value = send(HttpRequest.newBuilder(resolve(path)).timeout(timeout)
                .header("X-aws-ec2-metadata-token", token).GET().build(), path).trim();
        if (!SAFE_VALUE.matcher(value).matches()) {
            throw new IOException("the instance metadata service at " + base + " answered " + path
                    + " with an unexpected value");
        }
        return value;
    }

    private URI resolve(String path) {
        String s = base.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s + path);
    }

    private String send(HttpRequest request, String what) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the instance metadata service for " + what, e);
        } catch (IOException e) {
            throw new IOException("the instance metadata service at " + base + " did not answer for " + what
                    + ": " + e, e);
        }
        if (r.statusCode() != 200) {
            // The token itself is never logged: only the status.
            throw new IOException("the instance metadata service at " + base + " answered HTTP " + r.statusCode()
                    + " for " + what + (r.statusCode() == 401 ? " (token refused)" : ""));
        }
        return r.body();
    }
}
