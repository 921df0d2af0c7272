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
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Reads a cluster with one range request to etcd's JSON gateway ({@code POST /v3/kv/range} on the
 * client port, enabled by default since etcd 3.4), so that the CLI's read-only commands
 * ({@code list}, {@code topology}, {@code history}, {@code show-config}) need not start jetcd:
 * its gRPC, Netty and Vert.x start-up takes most of a second, which is most of {@code baton list}'s
 * wall time. So this class must not touch any jetcd class. The keys are decoded by the same
 * {@link SnapshotDecoder} as {@link EtcdClusterStore#read()}.
 *
 * <p>Plain {@link HttpURLConnection} ({@link HttpsURLConnection} for https): it starts faster
 * than {@code java.net.http}, and a cold start is what counts here. Read-only, no lease, no watch.
 *
 * <h2>TLS and authentication</h2>
 * With https the same files as the store's are used ({@link EtcdTls}), and the JDK checks each
 * endpoint's certificate against that endpoint's host name. With a user, one
 * {@code POST /v3/auth/authenticate} gets a token that goes in the {@code Authorization} header of
 * the range request. Anything refused (a handshake, a wrong password, a missing permission) is
 * "not a gateway": the caller then reads through jetcd, which reports the real problem and never
 * falls back to plaintext either.
 *
 * <p>etcd 3.4 answers a gateway request from a client certificate that has a CommonName with 400
 * ("CommonName of client sending a request against gateway will be ignored"), when client
 * certificate authentication and {@code auth enable} are both on; such a certificate then always
 * reads through jetcd, where the CommonName is the etcd user. Certificates without a CommonName
 * (as {@code baton certs} issues them) read through the gateway.
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

    private final EtcdAccess access;
    private final KeyLayout layout;
    private final Duration timeout;

    /**
     * Plain access ({@link EtcdAccess#plain}).
     *
     * @param endpoints etcd client endpoints, {@code host:port} or {@code http(s)://host:port}
     * @param timeout   connect and read timeout of each endpoint's request
     */
    public EtcdGatewayReader(List<String> endpoints, KeyLayout layout, Duration timeout) {
        this(EtcdAccess.plain(endpoints), layout, timeout);
    }

    /**
     * @param access  the endpoints, TLS files, user and password
     * @param timeout connect and read timeout of each endpoint's request
     */
    public EtcdGatewayReader(EtcdAccess access, KeyLayout layout, Duration timeout) {
        this.access = Objects.requireNonNull(access, "access");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** Asks the endpoints in order; the first that answers as a gateway gives the snapshot. */
    public Result read() {
        List<String> unreachable = new ArrayList<>();
        SSLContext tls = null;
        if (access.https()) {
            try {
                tls = EtcdTls.jdkContext(access.tls());
            } catch (EtcdTls.KeyMaterialException e) {
                return new NotAGateway(); // jetcd reports it, naming the key
            }
        }
        byte[] body = rangeRequest(layout.prefix());
        for (String hostPort : access.hosts()) {
            try {
                String token = access.authenticated() ? authenticate(hostPort, tls) : null;
                if (access.authenticated() && token == null) {
                    continue;
                }
                byte[] answer = post(hostPort, tls, "/v3/kv/range", body, token);
                if (answer != null) {
                    return new Read(parse(layout, JSON.readTree(answer)));
                }
            } catch (ConnectException | SocketTimeoutException | UnknownHostException e) {
                unreachable.add(hostPort + " (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()) + ")");
            } catch (IOException | RuntimeException e) {
                // no gateway, a refused handshake, or an answer we do not understand: try the next one
            }
        }
        return unreachable.size() == access.hosts().size() ? new Unreachable(unreachable) : new NotAGateway();
    }

    /** etcd's token for the user, or null when etcd refused (the caller falls back to jetcd). */
    private String authenticate(String hostPort, SSLContext tls) throws IOException {
        var request = JSON.createObjectNode().put("name", access.username()).put("password", access.password());
        byte[] answer = post(hostPort, tls, "/v3/auth/authenticate", JSON.writeValueAsBytes(request), null);
        String token = answer == null ? "" : JSON.readTree(answer).path("token").asText("");
        return token.isEmpty() ? null : token;
    }

    /** One POST; the answer's body, or null when it was not 200. */
    private byte[] post(String hostPort, SSLContext tls, String path, byte[] body, String token) throws IOException {
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        HttpURLConnection c = (HttpURLConnection) URI.create(access.scheme().prefix() + hostPort + path).toURL()
                .openConnection();
        try {
            if (c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.getSocketFactory());
            }
            c.setConnectTimeout(millis);
            c.setReadTimeout(millis);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            if (token != null) {
                c.setRequestProperty("Authorization", token);
            }
            try (OutputStream os = c.getOutputStream()) {
                os.write(body);
            }
            if (c.getResponseCode() != 200) {
                return null;
            }
            try (InputStream in = c.getInputStream()) {
                return in.readAllBytes();
            }
        } finally {
            c.disconnect();
        }
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
