package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads a cluster with one range request to etcd's JSON gateway ({@code POST /v3/kv/range} on the
 * client port, enabled by default since etcd 3.4), so that read-only commands ({@code list},
 * {@code topology}, {@code history}, {@code show-config}) need not start the jetcd client: its
 * gRPC, Netty and Vert.x start-up takes most of a second, which is most of {@code baton list}'s
 * wall time. The result is the same {@link ClusterSnapshot} the agents' store builds. When no
 * endpoint answers the gateway, callers fall back to jetcd (which then reports the real problem).
 */
final class EtcdGateway {
    private final List<String> endpoints;
    private final KeyLayout layout;
    private final Duration timeout;

    EtcdGateway(List<String> endpoints, KeyLayout layout, Duration timeout) {
        this.endpoints = endpoints;
        this.layout = layout;
        this.timeout = timeout;
    }

    /**
     * The snapshot from the first endpoint that answers; empty if one answered but not as a
     * gateway does (the caller falls back to jetcd); exit 1 if no endpoint could be reached at all.
     * Plain HttpURLConnection: it starts faster than java.net.http, and a cold start is what counts.
     */
    Optional<ClusterSnapshot> read() {
        java.util.List<String> unreachable = new java.util.ArrayList<>();
        byte[] prefix = layout.prefix().getBytes(StandardCharsets.UTF_8);
        byte[] body = ("{\"key\":\"" + Base64.getEncoder().encodeToString(prefix) + "\",\"range_end\":\""
                + Base64.getEncoder().encodeToString(rangeEnd(prefix)) + "\"}").getBytes(StandardCharsets.UTF_8);
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        for (String e : endpoints) {
            String hostPort = e.startsWith("http://") ? e.substring("http://".length()) : e;
            while (hostPort.endsWith("/")) {
                hostPort = hostPort.substring(0, hostPort.length() - 1);
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
                    return Optional.of(parse(Formats.JSON.readTree(in)));
                }
            } catch (java.net.ConnectException | java.net.SocketTimeoutException | java.net.UnknownHostException ex) {
                unreachable.add(hostPort + " (" + (ex.getMessage() == null ? ex.getClass().getSimpleName()
                        : ex.getMessage()) + ")");
            } catch (IOException | RuntimeException ex) {
                // no gateway, or an answer we do not understand: try the next one
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
        }
        if (unreachable.size() == endpoints.size()) {
            throw ExitException.failed("cannot read cluster " + layout.scope() + ": etcd does not answer at "
                    + String.join(", ", unreachable));
        }
        return Optional.empty();
    }

    /** etcd's prefix range end: the prefix with its last byte incremented. */
    static byte[] rangeEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return java.util.Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[] {0};
    }

    /** The gateway's RangeResponse (proto3 JSON: 64-bit numbers as strings, zero fields left out, bytes base64). */
    ClusterSnapshot parse(JsonNode response) {
        String prefix = layout.prefix();
        long revision = response.path("header").path("revision").asLong(0);
        VersionedValue initialize = null;
        VersionedValue config = null;
        VersionedValue failover = null;
        VersionedValue sync = null;
        VersionedValue history = null;
        VersionedValue status = null;
        LeaderKey leader = null;
        Map<String, MemberKey> members = new TreeMap<>();
        for (JsonNode kv : response.path("kvs")) {
            String key = decode(kv.path("key").asText(""));
            if (!key.startsWith(prefix)) {
                continue;
            }
            String relative = key.substring(prefix.length());
            String value = decode(kv.path("value").asText(""));
            long create = kv.path("create_revision").asLong(0);
            long mod = kv.path("mod_revision").asLong(0);
            long lease = kv.path("lease").asLong(0);
            if (relative.startsWith("members/")) {
                String name = relative.substring("members/".length());
                if (!name.isEmpty()) {
                    members.put(name, new MemberKey(name, value, lease, mod));
                }
                continue;
            }
            VersionedValue vv = new VersionedValue(value, create, mod, lease);
            switch (relative) {
                case "leader" -> leader = new LeaderKey(value, lease, create, mod);
                case "initialize" -> initialize = vv;
                case "config" -> config = vv;
                case "failover" -> failover = vv;
                case "sync" -> sync = vv;
                case "history" -> history = vv;
                case "status" -> status = vv;
                default -> { /* keys Baton does not read */ }
            }
        }
        return new ClusterSnapshot(revision, initialize, config, leader, members, failover, sync, history, status);
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
