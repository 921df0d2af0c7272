package dev.baton.aws.provision;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.PatroniStatus;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Roles from the agents' REST API: {@code GET http(s)://<ip>:<port>/patroni}, all members at once,
 * each bounded by {@code timeout}; its {@code role} field, or {@code unreachable}.
 */
public final class RestApiRoles implements MemberRoles {
    private final AgentClient agents;
    private final String scheme;
    private final int port;
    private final Duration timeout;

    public RestApiRoles(HttpClient client, int port, Duration timeout) {
        this(new AgentClient(client), "http", port, timeout);
    }

    /**
     * @param agents the REST client built from the cluster's client settings ({@code AgentClient.create}):
     *     {@code /patroni} is a read, so it carries no credentials, but over HTTPS it needs the CA
     *     (and, with {@code verify_client: required}, the client certificate)
     * @param scheme "https" when the agents' REST API runs TLS ({@code RestApiConfig.scheme()}), else "http"
     */
    public RestApiRoles(AgentClient agents, String scheme, int port, Duration timeout) {
        this.agents = agents;
        this.scheme = scheme;
        this.port = port;
        this.timeout = timeout;
    }

    @Override
    public Map<String, String> roles(List<String> privateIps) {
        Map<String, CompletableFuture<String>> pending = new LinkedHashMap<>();
        for (String ip : privateIps) {
            pending.put(ip, agents.fetch(scheme + "://" + ip + ":" + port + "/patroni", timeout)
                    .thenApply(r -> role(r.flatMap(AgentClient.Reply::patroni))));
        }
        Map<String, String> out = new LinkedHashMap<>();
        pending.forEach((ip, f) -> out.put(ip, f.join()));
        return out;
    }

    /**
     * The role as the member reported it (Patroni's {@code master} reads as {@code primary}); a
     * member that answered with a role Baton does not know is {@code unknown}, not unreachable.
     */
    private static String role(Optional<PatroniStatus> s) {
        return s.map(p -> p.role().wire()).orElse(UNREACHABLE);
    }
}
