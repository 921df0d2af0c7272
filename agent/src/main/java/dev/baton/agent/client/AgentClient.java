package dev.baton.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.BasicAuth;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The one client of the agents' REST API (Patroni's): peers, the operator commands, the drill,
 * the demo, AWS provisioning and the tests use it. A member is addressed by its REST base
 * ({@code http://host:8008}), which {@link #base(String)} derives from the {@code api_url} a member
 * publishes ({@code http://host:8008/patroni}).
 *
 * <p>Synchronous calls throw {@link IOException} ({@link java.net.http.HttpTimeoutException} when
 * no answer came within the timeout) so that a command can say why ({@link CallFailure} sorts them);
 * the asynchronous reads never fail: they complete with "no answer" within the timeout plus
 * {@link #GRACE}, so that a caller polling many members at once waits for the slowest one at most
 * that long.
 *
 * <p>Security ({@link #create}): a member is called with the scheme its {@code api_url} says. Over
 * HTTPS the client presents its certificate and verifies the server against its CA (or trusts all,
 * {@code insecure}). Unsafe methods (POST, PUT, PATCH, DELETE) carry the Basic credentials and
 * {@code Content-Type: application/json} (also without a body: the server requires it, so that a
 * browser's cross-site form cannot call them); reads carry no credentials. A client set up for TLS
 * refuses an unsafe call to an {@code http} address ({@link CleartextRefused}): a member publishing
 * http in a cluster that uses TLS is misconfigured or forged, and credentials or an action must not
 * go to it in clear. A client without any TLS setting calls http as configured (a cluster that runs
 * plain HTTP with Basic authentication, as Patroni allows).
 */
public final class AgentClient {
    /** How long past its own timeout an asynchronous read may take before it counts as unanswered. */
    public static final Duration GRACE = Duration.ofMillis(200);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    private final HttpClient http;
    private final BasicAuth auth;
    private final boolean expectsTls;

    /** A plain client (no certificate, the JDK's CAs, no credentials) whose connections must be established within {@code connectTimeout}. */
    public AgentClient(Duration connectTimeout) {
        this(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build());
    }

    /** A plain client over the caller's {@link HttpClient} (its connect timeout and executor). */
    public AgentClient(HttpClient http) {
        this(http, null, false);
    }

    private AgentClient(HttpClient http, BasicAuth auth, boolean expectsTls) {
        this.http = http;
        this.auth = auth;
        this.expectsTls = expectsTls;
    }

    /**
     * The client for {@code settings}: every caller of the REST API (the CLI, an agent's peer
     * calls, the drill, AWS provisioning) builds it here. The files are read now.
     *
     * @throws ClientSetupException naming the setting whose file cannot be used
     */
    public static AgentClient create(RestClientSettings settings, Duration connectTimeout) throws ClientSetupException {
        return create(settings, HttpClient.newBuilder().connectTimeout(connectTimeout));
    }

    /** As {@link #create(RestClientSettings, Duration)}, over the caller's builder (its timeouts, executor). */
    public static AgentClient create(RestClientSettings settings, HttpClient.Builder builder) throws ClientSetupException {
        builder.version(HttpClient.Version.HTTP_1_1).sslContext(ClientTls.context(settings));
        return new AgentClient(builder.build(), settings.authentication(), settings.expectsTls());
    }

    /** Whether {@code method} changes something (and so carries credentials and needs a JSON content type). */
    public static boolean unsafe(String method) {
        return !SAFE.contains(method.toUpperCase(Locale.ROOT));
    }

    /**
     * An unsafe call to an {@code http} address by a client set up for TLS: refused before
     * anything is sent (never credentials or an action in clear).
     */
    public static final class CleartextRefused extends IOException {
        public CleartextRefused(String method, String url) {
            super("refusing " + method + " " + url + " over plain HTTP: this client is set up for TLS (a "
                    + "certificate, a CA or insecure), so an http api_url is a misconfigured or forged member; "
                    + "credentials and actions are never sent in clear");
        }
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
        HttpRequest req;
        try {
            req = request("POST", base + "/switchover", handover(leader, null, null), timeout);
        } catch (IOException | IllegalArgumentException e) {
            return CompletableFuture.completedFuture(null);
        }
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

    /**
     * {@code POST /restart} scheduled at {@code schedule} (ISO 8601 with an offset), with
     * Patroni's conditions ({@code restart_pending}, {@code role}, {@code postgres_version}; null =
     * none), checked by the agent when the time comes.
     */
    public Reply scheduleRestart(String base, String schedule, boolean onlyPending, String role, String postgresVersion,
                                 Duration timeout) throws IOException, InterruptedException {
        var body = JSON.createObjectNode();
        body.put("schedule", schedule);
        if (onlyPending) {
            body.put("restart_pending", true);
        }
        if (role != null) {
            body.put("role", role);
        }
        if (postgresVersion != null) {
            body.put("postgres_version", postgresVersion);
        }
        return post(base, "restart", body.toString(), timeout);
    }

    /** {@code DELETE /restart}: cancels a scheduled restart (404 when none is). */
    public Reply deleteScheduledRestart(String base, Duration timeout) throws IOException, InterruptedException {
        return send("DELETE", base + "/restart", null, timeout);
    }

    /** {@code POST /reload}. */
    public Reply reload(String base, Duration timeout) throws IOException, InterruptedException {
        return post(base, "reload", "{}", timeout);
    }

    /** {@code POST /reinitialize}, with {@code force} (also while postgres runs). */
    public Reply reinitialize(String base, boolean force, Duration timeout) throws IOException, InterruptedException {
        return post(base, "reinitialize", JSON.createObjectNode().put("force", force).toString(), timeout);
    }

    /**
     * {@code POST /fence}: asks a former primary's agent to stop its postgres because {@code leader}
     * took the leader key. The whole call takes at most {@code timeout} (plus {@link #GRACE}); the
     * agent is given {@link #fenceBudget} of it to stop postgres, the rest is for the answer.
     *
     * @throws HttpTimeoutException no answer in time
     * @throws IOException                        no answer at all ({@link CallFailure} says why)
     */
    public FenceReply fence(String base, String leader, Duration timeout) throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("leader", leader).put("timeout", fenceBudget(timeout).toSeconds())
                .toString();
        HttpRequest req = request("POST", base + "/fence", body, timeout);
        CompletableFuture<HttpResponse<String>> answer = http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
        try {
            HttpResponse<String> r = answer.get(timeout.plus(GRACE).toMillis(), TimeUnit.MILLISECONDS);
            return FenceReply.of(new Reply(r.statusCode(), r.body()));
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new HttpTimeoutException("no answer to POST /fence within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause == null ? e : cause);
        }
    }

    /**
     * How long an agent asked to fence within {@code timeout} may take to stop postgres: four
     * fifths, in whole seconds, 1 to 60 (what {@code POST /fence} accepts).
     */
    public static Duration fenceBudget(Duration timeout) {
        long s = timeout.multipliedBy(4).dividedBy(5).toSeconds();
        return Duration.ofSeconds(Math.max(1, Math.min(60, s)));
    }

    // ------------------------------------------------------------------ backups (docs/backup.md)

    /**
     * {@code POST /backup}: starts a backup of {@code type} ({@code full}, {@code diff}, {@code incr});
     * {@code fromReplica} asks a streaming replica to take it. 202 with the status object of
     * {@link #backupStatus}; 409 while one runs, 503 on a member that may not take it, 400 for a bad
     * type, 404 without a backup repository.
     */
    public Reply startBackup(String base, String type, boolean fromReplica, Duration timeout)
            throws IOException, InterruptedException {
        var body = JSON.createObjectNode().put("type", type);
        if (fromReplica) {
            body.put("from_replica", true);
        }
        return post(base, "backup", body.toString(), timeout);
    }

    /**
     * {@code GET /backup}: the member's last (or running) backup run: {@code id}, {@code state}
     * ({@code none|running|succeeded|failed}), {@code type}, {@code started}, {@code finished},
     * {@code done_bytes}, {@code total_bytes}, {@code label}, {@code error}.
     */
    public Reply backupStatus(String base, Duration timeout) throws IOException, InterruptedException {
        return get(base, "/backup", timeout);
    }

    /** {@code GET /backups}: a JSON array of the repository's backups (404 without a repository). */
    public Reply backups(String base, Duration timeout) throws IOException, InterruptedException {
        return get(base, "/backups", timeout);
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

    private HttpRequest request(String method, String url, String json, Duration timeout) throws CleartextRefused {
        HttpRequest.Builder b;
        URI uri;
        try {
            uri = URI.create(url);
            b = HttpRequest.newBuilder(uri).timeout(timeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a usable REST address: " + url, e);
        }
        boolean unsafe = unsafe(method);
        if (unsafe && expectsTls && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new CleartextRefused(method, url);
        }
        if (unsafe && auth != null) {
            b.header("Authorization", auth.header());
        }
        if (json != null || unsafe) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, json != null ? HttpRequest.BodyPublishers.ofString(json) : HttpRequest.BodyPublishers.noBody());
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
