package dev.baton.leader.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.RawKeyValue;
import dev.baton.leader.SnapshotDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Reads a cluster with one range request to etcd's JSON gateway ({@code POST /v3/kv/range} on the
 * client port, enabled by default since etcd 3.4), so that the CLI's read-only commands
 * ({@code list}, {@code topology}, {@code history}, {@code show-config}) need not start jetcd:
 * its gRPC, Netty and Vert.x start-up takes most of a second, which is most of {@code baton list}'s
 * wall time. So this class must not touch any jetcd class. The keys are decoded by the same
 * {@link SnapshotDecoder} as {@link EtcdClusterStore#read()}.
 *
 * <p>Plain {@link HttpURLConnection}: it starts faster than {@code java.net.http}, and a cold
 * start is what counts here. Read-only, no lease, no watch, no TLS.
 */
public final class EtcdGatewayReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one read found out. */
    public sealed interface Result permits Read, NotAGateway, Unreachable {
    }

    /** An endpoint answered as a gateway does. */
    public record Read(ClusterSnapshot snapshot) implements Result {
    }

    /**
     * An endpoint could be reached, but none answered as a gateway does (an older etcd, the
     * gateway disabled, an answer not understood): read through jetcd instead, which then also
     * reports any real problem.
     */
    public record NotAGateway() implements Result {
    }

    /**
     * No endpoint could be reached at all.
     *
     * @param endpoints every endpoint as {@code host:port (reason)}, in the order given
     */
    public record Unreachable(List<String> endpoints) implements Result {
        public Unreachable {
            endpoints = List.copyOf(endpoints);
        }
    }

    private final List<String> endpoints;
    private final KeyLayout layout;
    private final Duration timeout;

    /**
     * @param endpoints etcd client endpoints, {@code host:port} or {@code http://host:port}
     * @param timeout   connect and read timeout of each endpoint's request
     */
    public EtcdGatewayReader(List<String> endpoints, KeyLayout layout, Duration timeout) {
        this.endpoints = List.copyOf(endpoints);
        this.layout = Objects.requireNonNull(layout, "layout");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** Asks the endpoints in order; the first that answers as a gateway gives the snapshot. */
    public Result read() {
        List<String> unreachable = new ArrayList<>();
        byte[] body = rangeRequest(layout.prefix());
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        for (String endpoint : endpoints) {
            String hostPort;
            try {
                hostPort = Endpoints.parse(endpoint);
            } catch (IllegalArgumentException e) {
                continue; // not an endpoint: jetcd reports it
            }
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) URI.create("http://" + hostPort + "/v3/kv/range").toURL().openConnection();
                c.setConnectTimeout(millis);
                c.setReadTimeout(millis);
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream os = c.getOutputStream()) {
                    os.write(body);
                }
                if (c.getResponseCode() != 200) {
                    continue;
                }
                try (InputStream in = c.getInputStream()) {
                    return new Read(parse(layout, JSON.readTree(in)));
                }
            } catch (ConnectException | SocketTimeoutException | UnknownHostException e) {
                unreachable.add(hostPort + " (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()) + ")");
            } catch (IOException | RuntimeException e) {
                // no gateway, or an answer we do not understand: try the next one
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
        }
        return unreachable.size() == endpoints.size() ? new Unreachable(unreachable) : new NotAGateway();
    }

    /** The body of a RangeRequest for every key under {@code prefix} (bytes are base64 in proto3 JSON). */
    static byte[] rangeRequest(String prefix) {
        byte[] key = prefix.getBytes(UTF_8);
        Base64.Encoder b64 = Base64.getEncoder();
        return ("{\"key\":\"" + b64.encodeToString(key) + "\",\"range_end\":\""
                + b64.encodeToString(rangeEnd(key)) + "\"}").getBytes(UTF_8);
    }

    /** etcd's prefix range end: the prefix with its last byte incremented. */
    static byte[] rangeEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[] {0};
    }


    /**
     * The gateway's RangeResponse as a snapshot. proto3 JSON: 64-bit numbers are strings, fields
     * with their zero value are left out, bytes are base64.
     */
    static ClusterSnapshot parse(KeyLayout layout, JsonNode response) {
        long revision = response.path("header").path("revision").asLong(0);
        List<RawKeyValue> kvs = new ArrayList<>();
        for (JsonNode kv : response.path("kvs")) {
            kvs.add(new RawKeyValue(base64(kv.path("key").asText("")), base64(kv.path("value").asText("")),
                    kv.path("create_revision").asLong(0), kv.path("mod_revision").asLong(0), kv.path("lease").asLong(0)));
        }
        return SnapshotDecoder.decode(layout, revision, kvs);
    }

    private static String base64(String text) {
        return new String(Base64.getDecoder().decode(text), UTF_8);
    }
}
