package dev.baton.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The one client of the agents' REST API (Patroni's): peers, the operator commands, the drill,
 * the demo, AWS provisioning and the tests use it. A member is addressed by its REST base
 * ({@code http://host:8008}), which {@link #base(String)} derives from the {@code api_url} a member
 * publishes ({@code http://host:8008/patroni}).
 *
 * <p>Synchronous calls throw {@link IOException} ({@link java.net.http.HttpTimeoutException} when
 * no answer came within the timeout) so that a command can say why; the asynchronous reads never
 * fail: they complete with "no answer" within the timeout plus {@link #GRACE}, so that a caller
 * polling many members at once waits for the slowest one at most that long.
 */
public final class AgentClient {
    /** How long past its own timeout an asynchronous read may take before it counts as unanswered. */
    public static final Duration GRACE = Duration.ofMillis(200);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;

    /** A client whose connections must be established within {@code connectTimeout}. */
    public AgentClient(Duration connectTimeout) {
        this(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build());
    }

    /** A client over the caller's {@link HttpClient} (its connect timeout and executor). */
    public AgentClient(HttpClient http) {
        this.http = http;
    }

    /** An answer: the status code and the body as sent. */
    public record Reply(int status, String body) {
        public Reply {
            body = body == null ? "" : body;
        }

        /** The body as a status, if it is one ({@code /patroni}, {@code /primary}, ... all answer it). */
        public Optional<PatroniStatus> patroni() {
            return PatroniStatus.parse(body);
        }

        /** The body as JSON, or an empty object if it is none. */
        public JsonNode json() {
            try {
                JsonNode n = JSON.readTree(body);
                return n == null || n.isMissingNode() ? JSON.createObjectNode() : n;
            } catch (IOException e) {
                return JSON.createObjectNode();
            }
        }

        /**
         * The text to show for an action's answer: Patroni answers in plain text, Baton in JSON with
         * {@code message}, {@code error} or {@code reason}; a JSON string is unquoted.
         */
        public String message() {
            String b = body.strip();
            if (b.startsWith("{")) {
                try {
                    JsonNode n = JSON.readTree(b);
                    for (String field : new String[] {"message", "error", "reason"}) {
                        if (n.hasNonNull(field)) {
                            return n.get(field).asText();
                        }
                    }
                } catch (IOException e) {
                    return b;
                }
            }
            if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
                try {
                    return JSON.readTree(b).asText();
                } catch (IOException e) {
                    return b;
                }
            }
            return b;
        }
    }

    /** The REST base of a published {@code api_url}: without {@code /patroni} and trailing slashes. */
    public static String base(String apiUrl) {
        String a = apiUrl.strip();
        int i = a.lastIndexOf("/patroni");
        if (i >= 0) {
            a = a.substring(0, i);
        }
        while (a.endsWith("/")) {
            a = a.substring(0, a.length() - 1);
        }
        return a;
    }

    /** The REST base of a member, from the {@code api_url} of its member key; empty if it publishes none. */
    public static Optional<String> base(MemberStatus m) {
        String api = m.apiUrl();
        return api == null || api.isBlank() ? Optional.empty() : Optional.of(base(api));
    }

    // ------------------------------------------------------------------ reads

    /** {@code GET base + path}; throws when there is no answer. */
    public Reply get(String base, String path, Duration timeout) throws IOException, InterruptedException {
        return send("GET", base + path, null, timeout);
    }

    /** {@code GET /patroni}: the member's status, empty when it does not answer 200 with a status. */
    public Optional<PatroniStatus> patroni(String base, Duration timeout) {
        try {
            Reply r = get(base, "/patroni", timeout);
            return r.status() == 200 ? r.patroni() : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * {@code GET url} (a full URL, e.g. an {@code api_url} as published, or with {@code ?fresh}),
     * asynchronously: empty when there is no answer within {@code timeout} (plus {@link #GRACE}) or
     * the URL is unusable. Never completes exceptionally.
     */
    public CompletableFuture<Optional<Reply>> fetch(String url, Duration timeout) {
        return getAsync(url, timeout, HttpResponse.BodyHandlers.ofString(),
                r -> Optional.of(new Reply(r.statusCode(), r.body())), Optional.empty());
    }

    /**
     * The status code of {@code GET base + path} (a health endpoint: {@code /primary},
     * {@code /replica}, ...), asynchronously, the body discarded; -1 when there is no answer.
     */
    public CompletableFuture<Integer> statusCode(String base, String path, Duration timeout) {
        return getAsync(base + path, timeout, HttpResponse.BodyHandlers.discarding(), HttpResponse::statusCode, -1);
    }

    /** {@code GET url} asynchronously, mapped; {@code none} for an unusable URL, an error or no answer in time. */
    private <B, T> CompletableFuture<T> getAsync(String url, Duration timeout, HttpResponse.BodyHandler<B> body,
                                                 Function<HttpResponse<B>, T> map, T none) {
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(none);
        }
        return http.sendAsync(req, body).thenApply(map)
                .completeOnTimeout(none, timeout.plus(GRACE).toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> none);
    }

    // ------------------------------------------------------------------ actions

    /** {@code POST /switchover}: a planned handover from {@code leader}, to {@code candidate} (or any) at {@code scheduledAt} (or now). */
    public Reply switchover(String base, String leader, String candidate, String scheduledAt, Duration timeout)
            throws IOException, InterruptedException {
        return post(base, "switchover", handover(leader, candidate, scheduledAt), timeout);
    }

    /** {@code POST /switchover} asynchronously; completes with null when there is no answer. */
    public CompletableFuture<Reply> switchoverAsync(String base, String leader, Duration timeout) {
        HttpRequest req = request("POST", base + "/switchover", handover(leader, null, null), timeout);
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> new Reply(r.statusCode(), r.body()))
                .exceptionally(e -> null);
    }

    /** {@code DELETE /switchover}: cancels a scheduled switchover. */
    public Reply cancelSwitchover(String base, Duration timeout) throws IOException, InterruptedException {
        return send("DELETE", base + "/switchover", null, timeout);
    }

    /** {@code POST /failover} to {@code candidate} (from {@code leader}, when one is named). */
    public Reply failover(String base, String leader, String candidate, Duration timeout)
            throws IOException, InterruptedException {
        return post(base, "failover", handover(leader, candidate, null), timeout);
    }

    /** {@code POST /restart} with Patroni's conditions ({@code restart_pending}, {@code role}; null = none). */
    public Reply restart(String base, boolean onlyPending, String role, Duration timeout)
            throws IOException, InterruptedException {
        var body = JSON.createObjectNode();
        if (onlyPending) {
            body.put("restart_pending", true);
        }
        if (role != null) {
            body.put("role", role);
        }
        return post(base, "restart", body.toString(), timeout);
    }

    /** {@code POST /reload}. */
    public Reply reload(String base, Duration timeout) throws IOException, InterruptedException {
        return post(base, "reload", "{}", timeout);
    }

    /** {@code POST /reinitialize}, with {@code force} (also while postgres runs). */
    public Reply reinitialize(String base, boolean force, Duration timeout) throws IOException, InterruptedException {
        return post(base, "reinitialize", JSON.createObjectNode().put("force", force).toString(), timeout);
    }

    /** {@code POST base/action} with a JSON body. */
    public Reply post(String base, String action, String json, Duration timeout) throws IOException, InterruptedException {
        return send("POST", base + "/" + action, json, timeout);
    }

    /** Any request; {@code json} null sends no body. */
    public Reply send(String method, String url, String json, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request(method, url, json, timeout), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private static HttpRequest request(String method, String url, String json, Duration timeout) {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a usable REST address: " + url, e);
        }
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private static String handover(String leader, String candidate, String scheduledAt) {
        var body = JSON.createObjectNode();
        if (leader != null) {
            body.put("leader", leader);
        }
        if (candidate != null) {
            body.put("candidate", candidate);
        }
        if (scheduledAt != null) {
            body.put("scheduled_at", scheduledAt);
        }
        return body.toString();
    }
}
