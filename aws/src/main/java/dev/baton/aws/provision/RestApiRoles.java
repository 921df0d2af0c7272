package dev.baton.aws.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Roles from the agents' REST API: {@code GET http://<ip>:<port>/patroni}, all members at once,
 * each bounded by {@code timeout}; its {@code role} field, or {@code unreachable}.
 */
public final class RestApiRoles implements MemberRoles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client;
    private final int port;
    private final Duration timeout;

    public RestApiRoles(HttpClient client, int port, Duration timeout) {
        this.client = client;
        this.port = port;
        this.timeout = timeout;
    }

    @Override
    public Map<String, String> roles(List<String> privateIps) {
        Map<String, CompletableFuture<String>> pending = new LinkedHashMap<>();
        for (String ip : privateIps) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/patroni"))
                    .timeout(timeout).GET().build();
            pending.put(ip, client.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                    .orTimeout(timeout.toMillis() + 500, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .handle((resp, err) -> err != null ? UNREACHABLE : role(resp.body())));
        }
        Map<String, String> out = new LinkedHashMap<>();
        pending.forEach((ip, f) -> out.put(ip, f.join()));
        return out;
    }

    private static String role(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            String role = n.path("role").asText("");
            return role.isEmpty() ? UNREACHABLE : role;
        } catch (Exception e) {
            return UNREACHABLE;
        }
    }
}
