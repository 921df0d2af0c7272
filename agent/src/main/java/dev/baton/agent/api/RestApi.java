package dev.baton.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.RestApiConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The agent's REST API, answering Patroni's health endpoints with Patroni's status codes so that
 * HAProxy configs, ELB health checks and patronictl keep working. Every answer is computed from the
 * HA loop's last {@link NodeState} and the monotonic clock "now", never by doing I/O, so a health
 * check cannot block on (or be blocked by) postgres or etcd.
 *
 * <p>Security, as {@code restapi} configures it: HTTPS with a certificate rotated by
 * {@link #reloadTls()} ({@link RestTls}), access checks on the unsafe methods before their body is
 * read ({@link RestAccess}: allowlist, client certificate, Basic authentication, content type), and
 * the operator's extra headers on every response.
 */
public final class RestApi implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RestApi.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<NodeState> state;
    private final LongSupplier ticker;
    private final String version;
    private final int ttlSeconds;
    private final RestLimits limits;
    /** How much of a refused body is read before answering 413; a larger one may see a reset. */
    private static final long DRAIN_BYTES = 1L << 20;

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    /** Replaced by {@link #reloadAccess} (a local configuration reload); each request reads it once. */
    private volatile RestAccess access;
    private final RestAllowlist.Resolver resolver;
    /** Null for plain HTTP. */
    private final RestTls tls;
    /** {@code http_extra_headers}, and {@code https_extra_headers} over HTTPS: on every response. */
    private final Map<String, String> extraHeaders;

    public RestApi(String host, int port, Supplier<NodeState> state, LongSupplier ticker, String version,
                   int ttlSeconds) throws IOException {
        this(host, port, state, ticker, version, ttlSeconds, RestLimits.DEFAULTS);
    }

    /** Plain HTTP with no access checks, with the given limits. */
    public RestApi(String host, int port, Supplier<NodeState> state, LongSupplier ticker, String version,
                   int ttlSeconds, RestLimits limits) throws IOException {
        this(host, port, new RestApiConfig(host + ":" + port, null), RestAllowlist.Resolver.system(), state, ticker,
                version, ttlSeconds, limits);
    }

    /**
     * The API of {@code restapi}: where it listens, its TLS, access checks and extra headers.
     *
     * @throws IllegalArgumentException naming the key whose TLS files or ciphers cannot be used
     *     ({@code AgentPreflight} has checked them already, so only a change since then gets here)
     */
    public RestApi(RestApiConfig config, Supplier<NodeState> state, LongSupplier ticker, String version,
                   int ttlSeconds, RestLimits limits) throws IOException {
        this(config.listenHost(), config.listenPort(), config, RestAllowlist.Resolver.system(), state, ticker, version,
                ttlSeconds, limits);
    }

    /** With the given limits; their JDK properties are set here, see {@link RestLimits} for why and what. */
    RestApi(String host, int port, RestApiConfig config, RestAllowlist.Resolver resolver, Supplier<NodeState> state,
            LongSupplier ticker, String version, int ttlSeconds, RestLimits limits) throws IOException {
        this.state = state;
        this.ticker = ticker;
        this.version = version;
        this.ttlSeconds = ttlSeconds;
        this.limits = limits;
        this.resolver = resolver;
        this.access = new RestAccess(config, resolver, ticker);
        Map<String, String> headers = new LinkedHashMap<>(config.httpExtraHeaders());
        if (config.https()) {
            headers.putAll(config.httpsExtraHeaders());
        }
        this.extraHeaders = Map.copyOf(headers);
        limits.jdkProperties().forEach(System::setProperty);
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (config.https()) {
            try {
                this.tls = RestTls.load(config);
            } catch (RestTls.Failure f) {
                throw new IllegalArgumentException(f.getMessage());
            }
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(tls.configurator());
            this.server = https;
        } else {
            this.tls = null;
            this.server = HttpServer.create(address, 64);
        }
        // No queue: a request never waits behind another client's; threads come and go with the load.
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(2, limits.maxThreads(), 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "baton-rest-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * Who may call the unsafe endpoints from now on: {@code restapi.authentication} and
     * {@code allowlist}/{@code allowlist_include_members} of {@code config} (a local configuration
     * reload). Listen address, TLS and {@code verify_client} stay as started.
     */
    public void reloadAccess(RestApiConfig config) {
        this.access = new RestAccess(config, resolver, ticker);
    }

    /**
     * Re-reads the TLS certificate, key and CA files for new connections (on {@code POST /reload}
     * and {@code baton reload}); on failure keeps the current ones and logs why. Plain HTTP: nothing.
     *
     * @return false when the files could not be used
     */
    public boolean reloadTls() {
        return tls == null || tls.reload();
    }

    public void start() {
        server.start();
        LOG.info("REST API listening on " + server.getAddress() + (tls == null ? " (HTTP)" : " (HTTPS)"));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Handler threads busy now (reading a request or answering it): for tests. */
    int busyThreads() {
        return executor.getActiveCount();
    }

    private void handle(HttpExchange ex) throws IOException {
        // The catch must sit inside the try-with-resources: a try-with-resources' own catch clause
        // runs after the exchange is closed, so a 500 sent from there never reaches the client
        // (it sees the connection drop with no response at all).
        try (ex) {
            extraHeaders.forEach(ex.getResponseHeaders()::set);
            try {
                String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
                if (RestAccess.unsafe(method)) {
                    NodeState now = state.get();
                    RestAccess checks = access;
                    Optional<RestAccess.Refusal> refusal = checks.check(accessRequest(ex, method),
                            now == null ? null : now.cluster());
                    if (refusal.isPresent()) {
                        RestAccess.Refusal r = refusal.get();
                        // Read (and drop) a modest body first: closing on unread bytes would reset the connection.
                        discard(ex.getRequestBody(), limits.maxBodyBytes());
                        r.headers().forEach(ex.getResponseHeaders()::set);
                        send(ex, method, r.status(), r.body());
                        return;
                    }
                }
                URI uri = ex.getRequestURI();
                String path = uri.getPath();
                if (path.length() > 1 && path.endsWith("/")) {
                    path = path.substring(0, path.length() - 1);
                }
                RestRequests.Parsed<Map<String, String>> parsedQuery = RestRequests.query(uri.getRawQuery());
                if (parsedQuery instanceof RestRequests.Parsed.Bad<Map<String, String>> bad) {
                    send(ex, method, 400, error(bad.message()));
                    return;
                }
                Map<String, String> query = ((RestRequests.Parsed.Ok<Map<String, String>>) parsedQuery).value();
                if ((method.equals("GET") || method.equals("HEAD")) && path.equals("/metrics") && metrics != null) {
                    byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    if (method.equals("HEAD")) {
                        ex.sendResponseHeaders(200, -1);
                        return;
                    }
                    ex.sendResponseHeaders(200, body.length);
                    try (OutputStream os = ex.getResponseBody()) {
                        os.write(body);
                    }
                    return;
                }
                if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS")) {
                    Answer a = null;
                    if (actions != null) {
                        int max = limits.maxBodyBytes();
                        // Refused before reading when the client says so; a chunked body is read up to the limit.
                        byte[] raw = declaredLength(ex) > max ? null : ex.getRequestBody().readNBytes(max + 1);
                        if (raw == null || raw.length > max) {
                            // Read (and drop) what a modest client is still sending: closing on unread
                            // bytes resets the connection and the client would never see the 413.
                            discard(ex.getRequestBody(), DRAIN_BYTES);
                            send(ex, method, 413, error("request body larger than " + max + " bytes"));
                            return;
                        }
                        String text = new String(raw, StandardCharsets.UTF_8);
                        FailsafeAction fs = failsafe;
                        a = method.equals("POST") && path.equals("/failsafe") && fs != null ? fs.post(text)
                                : actions.act(method, path, query, text);
                    }
                    if (a == null) {
                        ex.getResponseHeaders().set("Allow", "GET, HEAD, OPTIONS"); // required with a 405 (RFC 9110)
                        send(ex, method, 405, error("method " + method + " is not allowed on " + path));
                        return;
                    }
                    send(ex, method, a.status(), a.body());
                    return;
                }
                NodeState s = state.get();
                long now = ticker.getAsLong();
                Answer a = answer(path, query, s, now);
                send(ex, method, a.status(), a.body());
            } catch (RuntimeException e) {
                // The client learns that it failed and an id to quote; the details are for the log only.
                String id = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 32);
                String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
                LOG.log(Level.SEVERE, "REST " + printable(method) + " " + printable(ex.getRequestURI().getRawPath())
                        + " failed (error id " + id + ")", e);
                send(ex, method, 500, error("internal error (error id " + id + ", in the agent's log)"));
            }
        }
    }

    /** What the access checks look at. */
    private static RestAccess.Request accessRequest(HttpExchange ex, String method) {
        Headers h = ex.getRequestHeaders();
        boolean browser = h.containsKey("Origin") || h.containsKey("Sec-Fetch-Site") || h.containsKey("Sec-Fetch-Mode")
                || h.containsKey("Sec-Fetch-Dest");
        return new RestAccess.Request(method, ex.getRemoteAddress().getAddress(), verifiedCertificate(ex),
                h.getFirst("Authorization"), h.getFirst("Content-Type"), browser);
    }

    /** Whether the client presented a certificate the server verified (against restapi.cafile). */
    private static boolean verifiedCertificate(HttpExchange ex) {
        if (!(ex instanceof HttpsExchange https) || https.getSSLSession() == null) {
            return false;
        }
        try {
            return https.getSSLSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    /** The Content-Length the client sent, -1 if none or unreadable (the JDK rejects those before us). */
    private static long declaredLength(HttpExchange ex) {
        String v = ex.getRequestHeaders().getFirst("Content-Length");
        try {
            return v == null ? -1 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Client text for a log line: control characters escaped, so that a request cannot forge log lines. */
    static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }

    /** The agent's actions (POST/DELETE/PATCH/PUT); {@code null} from {@link #act} means "no such action". */
    public interface Actions {
        Answer act(String method, String path, Map<String, String> query, String body);
    }

    /** The Prometheus text exposition served on {@code GET /metrics}. */
    public interface Metrics {
        String scrape();
    }

    private volatile Actions actions;
    private volatile Metrics metrics;
    private volatile BackupAction backups = BackupAction.none();

    /** Serves {@code GET /backup} and {@code GET /backups}; call before {@link #start()}. */
    public void setBackups(BackupAction backups) {
        this.backups = backups;
    }

    private volatile FailsafeAction failsafe;
    private volatile java.util.function.BooleanSupplier failsafeActive = () -> false;

    /** Serves {@code GET} and {@code POST /failsafe}; call before {@link #start()}. */
    public void setFailsafe(FailsafeAction failsafe, java.util.function.BooleanSupplier activeAsLeader) {
        this.failsafe = failsafe;
        this.failsafeActive = activeAsLeader;
    }

    /** Sets the action handler; call before {@link #start()}. */
    public void setActions(Actions actions) {
        this.actions = actions;
    }

    private volatile Supplier<PgStatus> liveStatus;

    /**
     * Lets {@code GET /patroni?fresh} read postgres' positions now instead of from the last cycle.
     * Only peers ask for it, while a primary hands over and waits for them to have its shutdown
     * checkpoint; health checks never do I/O.
     */
    public void setLiveStatus(Supplier<PgStatus> liveStatus) {
        this.liveStatus = liveStatus;
    }

    private NodeState fresh(NodeState s) {
        Supplier<PgStatus> live = liveStatus;
        if (live == null || !s.pg().running()) {
            return s;
        }
        PgStatus pg = live.get();
        return pg.running() ? s.withPg(pg) : s;
    }

    /** Sets the metrics source; call before {@link #start()}. */
    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    /** A status code and a JSON body. */
    public record Answer(int status, String body) {
    }

    /**
     * The endpoint logic, pure over the node state and "now" (tested without HTTP). The health
     * checks follow Patroni's {@code do_GET}: the status code from the path, then, except on the
     * leader paths, every {@code ?tag_<k>=<v>} must match a configured tag.
     */
    public Answer answer(String path, Map<String, String> query, NodeState s, long now) {
        return switch (path) {
            case "/", "/primary", "/master", "/read-write" ->
                    new Answer(s.isWritablePrimary(now) ? 200 : 503, status(s, now));
            // As Patroni: /leader is the lock holder, a primary or a standby cluster's standby leader.
            case "/leader" -> new Answer(s.isWritablePrimary(now) || standbyLeader(s, now) ? 200 : 503, status(s, now));
            case "/standby-leader", "/standby_leader" -> new Answer(standbyLeader(s, now) ? 200 : 503, status(s, now));
            case "/replica" -> health(replicaOk(s, query), s, query, now);
            case "/read-only" -> health(s.isWritablePrimary(now) || standbyLeader(s, now) || replicaOk(s, query), s,
                    query, now);
            case "/async", "/asynchronous" -> health(s.cluster() != null && replicaOk(s, query) && !syncStandby(s)
                    && !quorumStandby(s), s, query, now);
            case "/sync", "/synchronous" -> health(replicaOk(s, query) && syncStandby(s), s, query, now);
            case "/read-only-sync", "/read-only-synchronous" -> health(s.cluster() != null
                    && (s.isWritablePrimary(now) || (replicaOk(s, query) && syncStandby(s))), s, query, now);
            case "/quorum" -> health(replicaOk(s, query) && quorumStandby(s), s, query, now);
            case "/read-only-quorum" -> health(s.cluster() != null
                    && (s.isWritablePrimary(now) || (replicaOk(s, query) && quorumStandby(s))), s, query, now);
            case "/health" -> health(running(s), s, query, now);
            // Patroni answers these two with the status line only.
            case "/liveness" -> new Answer(live(s, now) ? 200 : 503, "");
            case "/readiness" -> new Answer(ready(s, query, now) ? 200 : 503, "");
            case "/patroni", "/status" -> new Answer(200, status(query.containsKey("fresh") ? fresh(s) : s, now));
            case "/cluster" -> new Answer(200, cluster(s));
            case "/failsafe" -> failsafe == null ? new Answer(502, error("failsafe_mode is not enabled")) : failsafe.get();
            case "/history" -> new Answer(200, history(s));
            case "/config" -> s.cluster() == null || s.cluster().snapshot().config() == null
                    ? new Answer(503, error("the dynamic configuration is not known yet"))
                    : new Answer(200, s.cluster().snapshot().config().value());
            case "/backup", "/backups" -> backups.get(path);
            default -> new Answer(404, error("no such endpoint: " + path));
        };
    }

    /** A health check's answer: 200 when {@code ok} and every tag asked for matches, with the status body. */
    private Answer health(boolean ok, NodeState s, Map<String, String> query, long now) {
        return new Answer(ok && tagsMatch(s, query) ? 200 : 503, status(s, now));
    }

    /** A query parameter as Patroni reads it: absent when not given or given empty. */
    private static String param(Map<String, String> query, String name) {
        String v = query.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    /** Postgres answers queries and the member state is {@code running} (Patroni: {@code state == running}). */
    private static boolean running(NodeState s) {
        return s.pg().running() && s.state() == MemberState.RUNNING;
    }

    /** Listed in the {@code sync} key as a synchronous standby of the current leader (not quorum commit). */
    private static boolean syncStandby(NodeState s) {
        return s.cluster() != null && s.cluster().dynamic().synchronousMode() && !s.cluster().dynamic().synchronousQuorum()
                && s.cluster().sync().isSyncStandby(s.name(), s.cluster().leader());
    }

    /** Quorum commit: listed in the {@code sync} key as a voter of the current leader (Patroni 4's quorum standby). */
    private static boolean quorumStandby(NodeState s) {
        return s.cluster() != null && s.cluster().dynamic().synchronousQuorum()
                && s.cluster().sync().isQuorumStandby(s.name(), s.cluster().leader());
    }

    /** Every {@code ?tag_<k>=<v>} (a non-empty one) matches this node's configured tag {@code k}. */
    private static boolean tagsMatch(NodeState s, Map<String, String> query) {
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (e.getKey().startsWith("tag_") && !e.getValue().isEmpty()
                    && !PatroniFormats.tagMatches(s.tags().get(e.getKey().substring(4)), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Patroni's replica check: a running replica not tagged {@code noloadbalance}, in the
     * {@code ?replication_state} asked for, and with {@code ?lag} not further behind the leader's
     * last published position than that (replayed position; a {@code lag} that is no size is ignored).
     * Without {@code ?replication_state} Baton asks for more than Patroni: the replica must stream,
     * so that a load balancer never sends reads to a replica that has lost its primary.
     */
    /** The running standby leader of a standby cluster: it holds the lock, and postgres is a replica of the remote. */
    private static boolean standbyLeader(NodeState s, long now) {
        return s.holdsLock(now) && s.role() == dev.baton.leader.model.Role.STANDBY_LEADER && s.pg().runningAsReplica();
    }

    private static boolean replicaOk(NodeState s, Map<String, String> query) {
        // Patroni's /replica wants the role replica: not a standby cluster's standby leader.
        if (!s.pg().runningAsReplica() || !running(s) || s.noloadbalance()
                || s.role() == dev.baton.leader.model.Role.STANDBY_LEADER) {
            return false;
        }
        String wantedState = param(query, "replication_state");
        if (wantedState != null ? !wantedState.equals(replicationState(s.pg())) : !s.pg().streaming()) {
            return false;
        }
        OptionalLong max = PatroniFormats.bytes(param(query, "lag"));
        return max.isEmpty() || !lagging(leaderOptime(s), s.pg().replayedLsn(), max.getAsLong());
    }

    /** The leader's last published WAL position ({@code status} key), 0 when unknown. */
    private static long leaderOptime(NodeState s) {
        return s.cluster() == null ? 0 : s.cluster().lastLeaderLsn();
    }

    /** Patroni's {@code leader_optime and leader_optime > position + max}; positions are never negative. */
    static boolean lagging(long leaderOptime, long position, long max) {
        return leaderOptime > 0 && leaderOptime - position > max;
    }

    /**
     * Patroni 4's readiness: the leader-key holder is ready; otherwise postgres must be running,
     * streaming, with a known leader position, and within {@code ?lag} (default
     * {@code maximum_lag_on_failover}) of it, by the replayed position or with {@code ?mode=write}
     * the received one.
     */
    private static boolean ready(NodeState s, Map<String, String> query, long now) {
        if (s.holdsLock(now)) {
            return true;
        }
        if (!running(s) || !"streaming".equals(replicationState(s.pg())) || s.cluster() == null) {
            return false;
        }
        long position = "write".equals(query.get("mode")) ? received(s.pg()) : s.pg().replayedLsn();
        long lag = leaderOptime(s) - position;
        OptionalLong max = PatroniFormats.bytes(param(query, "lag"));
        return lag <= (max.isPresent() ? max.getAsLong() : s.cluster().dynamic().maximumLagOnFailover());
    }

    /** A replica's received position as Patroni shows it: the replayed one while nothing was received. */
    private static long received(PgStatus pg) {
        return pg.receivedLsn() > 0 ? pg.receivedLsn() : pg.replayedLsn();
    }

    /** {@code streaming} or {@code in archive recovery} on a running replica, else null. */
    private static String replicationState(PgStatus pg) {
        if (!pg.runningAsReplica()) {
            return null;
        }
        return pg.streaming() ? "streaming" : "in archive recovery";
    }

    private boolean live(NodeState s, long now) {
        if (s.lastCycleNanos() == 0 || s.paused()) {
            return true;
        }
        // The cluster's ttl as last read (it follows the config key), the file's before the first read.
        long ttl = s.cluster() != null ? s.cluster().dynamic().ttl() : ttlSeconds;
        long limit = (s.pg().runningAsPrimary() ? ttl : 2L * ttl) * 1_000_000_000L;
        return now - s.lastCycleNanos() <= limit;
    }

    /** {@code GET /patroni}: Patroni's {@code get_postgresql_status} and {@code _write_status_response}, plus {@code baton}. */
    String status(NodeState s, long now) {
        ObjectNode n = JSON.createObjectNode();
        PgStatus pg = s.pg();
        n.put("state", s.state().wire());
        if (pg.running()) {
            if (pg.startedAt() != null) {
                n.put("postmaster_start_time", PatroniFormats.timestamp(pg.startedAt()));
            }
            n.put("role", s.role().wire());
            if (pg.serverVersion() > 0) {
                n.put("server_version", pg.serverVersion());
            }
            ObjectNode x = n.putObject("xlog");
            if (pg.runningAsPrimary()) {
                x.put("location", pg.writeLsn());
            } else {
                x.put("received_location", received(pg));
                x.put("replayed_location", pg.replayedLsn());
                x.put("replayed_timestamp", PatroniFormats.timestamp(pg.replayTimestamp()));
                x.put("paused", pg.replayPaused());
            }
            if (pg.runningAsReplica() && syncStandby(s)) {
                n.put("sync_standby", true);
            }
            if (pg.runningAsReplica() && quorumStandby(s)) {
                n.put("quorum_standby", true);
            }
            if (pg.timeline() > 0) {
                n.put("timeline", pg.timeline());
            }
            String replicationState = replicationState(pg);
            if (replicationState != null) {
                n.put("replication_state", replicationState);
            }
            if (!pg.replication().isEmpty()) {
                ArrayNode rep = n.putArray("replication");
                for (PgStatus.Replica r : pg.replication()) {
                    ObjectNode e = rep.addObject();
                    e.put("usename", r.usename());
                    e.put("application_name", r.applicationName());
                    e.put("client_addr", r.clientAddr());
                    e.put("state", r.state());
                    e.put("sync_state", r.syncState());
                    e.put("sync_priority", r.syncPriority());
                }
            }
        } else {
            n.put("role", s.role().wire());
        }
        if (s.paused()) {
            n.put("pause", true);
        }
        if (s.lockHolder() == null) {
            n.put("cluster_unlocked", true);
        }
        if (failsafeActive.getAsBoolean()) {
            n.put("failsafe_mode_is_active", true);
        }
        n.put("dcs_last_seen", s.dcsLastSeenEpochSeconds());
        if (!s.tags().isEmpty()) {
            n.set("tags", JSON.valueToTree(s.tags()));
        }
        if (s.systemId() != null) {
            n.put("database_system_identifier", s.systemId());
        }
        if (s.pendingRestart()) {
            n.put("pending_restart", true);
        }
        ObjectNode p = n.putObject("patroni");
        p.put("version", version);
        p.put("scope", s.scope());
        p.put("name", s.name());
        if (s.scheduledRestart() != null) {
            n.set("scheduled_restart", JSON.valueToTree(s.scheduledRestart()));
        }
        ObjectNode b = n.putObject("baton");
        b.put("leader", s.lockHolder());
        b.put("holds_lock", s.holdsLock(now));
        b.put("last_cycle", s.lastSentence());
        if (s.cluster() != null && !s.cluster().configProblems().isEmpty()) {
            s.cluster().configProblems().forEach(b.putArray("config_warnings")::add);
        }
        if (s.promotion() != null) {
            s.promotion().writeTo(b.putObject("promotion"));
        }
        return n.toString();
    }

    /** {@code GET /cluster}: Patroni's {@code cluster_as_json} (3.3/4.0 shape) and {@code scope}. */
    static String cluster(NodeState s) {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode members = n.putArray("members");
        ClusterView c = s.cluster();
        if (c != null) {
            // ClusterView's map has no order; answer in name order, as Patroni does.
            for (MemberStatus m : new java.util.TreeMap<>(c.members()).values()) {
                ObjectNode e = members.addObject();
                e.put("name", m.name());
                e.put("role", m.name().equals(c.leader())
                        ? (c.dynamic().isStandbyCluster() ? "standby_leader" : "leader")
                        : c.dynamic().synchronousQuorum() && c.sync().isQuorumStandby(m.name(), c.leader())
                        ? "quorum_standby"
                        : c.dynamic().synchronousMode() && c.sync().isSyncStandby(m.name(), c.leader())
                        ? "sync_standby" : "replica");
                e.put("state", m.state().wire());
                e.put("api_url", m.apiUrl());
                if (m.host() != null) {
                    e.put("host", m.host());
                    if (m.port() > 0) {
                        e.put("port", m.port());
                    }
                }
                if (m.timeline() > 0) {
                    e.put("timeline", m.timeline());
                }
                if (m.pendingRestart()) {
                    e.put("pending_restart", true);
                }
                // Patroni's member "scheduled_restart" would go here.
                if (!m.tags().isEmpty()) {
                    e.set("tags", JSON.valueToTree(m.tags()));
                }
                if (!m.name().equals(c.leader())) {
                    if (m.xlogLocation() <= 0) {
                        e.put("lag", "unknown");
                    } else {
                        e.put("lag", Math.max(0, c.lastLeaderLsn() - m.xlogLocation()));
                    }
                }
            }
            if (c.dynamic().pause()) {
                n.put("pause", true);
            }
            c.failover().filter(f -> f.scheduledAt() != null).ifPresent(f -> {
                ObjectNode sw = n.putObject("scheduled_switchover");
                sw.put("at", PatroniFormats.isoformat(f.scheduledAt()));
                if (f.leader() != null) {
                    sw.put("from", f.leader());
                }
                if (f.candidate() != null) {
                    sw.put("to", f.candidate());
                }
            });
        }
        n.put("scope", s.scope());
        return n.toString();
    }

    /** {@code GET /history}: the {@code history} key's lines as stored (Patroni's), {@code []} if absent or not a list. */
    static String history(NodeState s) {
        if (s.cluster() == null || s.cluster().snapshot().history() == null) {
            return "[]";
        }
        try {
            com.fasterxml.jackson.databind.JsonNode lines = JSON.readTree(s.cluster().snapshot().history().value());
            return lines != null && lines.isArray() ? lines.toString() : "[]";
        } catch (IOException | RuntimeException e) {
            return "[]";
        }
    }

    private static String error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return n.toString();
    }

    private static void send(HttpExchange ex, String method, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String t = body.stripLeading();
        ex.getResponseHeaders().set("Content-Type", t.startsWith("{") || t.startsWith("[")
                ? "application/json" : "text/plain; charset=utf-8");
        if (method.equals("HEAD") || method.equals("OPTIONS") || bytes.length == 0) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void discard(InputStream in, long limit) throws IOException {
        byte[] buf = new byte[8192];
        long left = limit;
        int n;
        while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
            left -= n;
        }
    }
}
