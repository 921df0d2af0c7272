package dev.baton.agent.client;

import dev.baton.agent.ha.Candidacy;
import dev.baton.agent.ha.PeerClient;
import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.FenceResult.Outcome;
import dev.baton.agent.postgres.Lsn;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The HA loop's {@link PeerClient} over HTTP: asks every peer's published {@code api_url} at
 * once, each bounded by the same timeout. A peer that does not answer (or answers no status) is
 * taken at the position its member key published, as not reachable.
 */
public final class HttpPeerClient implements PeerClient {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(HttpPeerClient.class.getName());

    private volatile AgentClient client;
    /** Builds the client anew from its files (certificate rotation); null: nothing to re-read. */
    private final java.util.concurrent.Callable<AgentClient> rebuild;

    public HttpPeerClient() {
        this(new AgentClient(Duration.ofSeconds(1)));
    }

    public HttpPeerClient(AgentClient client) {
        this(client, null);
    }

    /** A client that {@link #reload()} rebuilds with {@code rebuild}. */
    public HttpPeerClient(AgentClient client, java.util.concurrent.Callable<AgentClient> rebuild) {
        this.client = client;
        this.rebuild = rebuild;
    }

    /**
     * Re-reads the client certificate and CA (on agent reload: rotation). A failure keeps the
     * client in use and says why, naming the setting, never a secret.
     */
    public void reload() {
        if (rebuild == null) {
            return;
        }
        try {
            client = rebuild.call();
        } catch (Exception e) {
            LOG.warning("peer client: kept the previous TLS settings: " + e.getMessage());
        }
    }

    @Override
    public void warmUp(String apiUrl) {
        client.fetch(apiUrl, Duration.ofSeconds(2)).thenAccept(r -> {
            if (r.flatMap(AgentClient.Reply::patroni).isEmpty()) {
                LOG.fine("peer client warm-up: no status from " + apiUrl);
            }
        });
    }

    @Override
    public List<Candidacy.Peer> poll(List<MemberStatus> peers, Duration timeout) {
        return poll(peers, timeout, "");
    }

    @Override
    public List<Candidacy.Peer> pollFresh(List<MemberStatus> peers, Duration timeout) {
        return poll(peers, timeout, "?fresh");
    }

    private List<Candidacy.Peer> poll(List<MemberStatus> peers, Duration timeout, String query) {
        List<CompletableFuture<Candidacy.Peer>> futures = new ArrayList<>();
        for (MemberStatus m : peers) {
            Candidacy.Peer fallback = published(m);
            futures.add(m.apiUrl() == null ? CompletableFuture.completedFuture(fallback)
                    : client.fetch(m.apiUrl() + query, timeout)
                            .thenApply(r -> r.flatMap(AgentClient.Reply::patroni).map(s -> answered(m, s)).orElse(fallback)));
        }
        List<Candidacy.Peer> out = new ArrayList<>();
        for (CompletableFuture<Candidacy.Peer> f : futures) {
            out.add(f.join());
        }
        return out;
    }

    /**
     * {@code POST /fence} to the old primary's {@code api_url}, with this agent's TLS and
     * credentials. Only a 200 of the endpoint's own words counts as fenced; any other answer is a
     * refusal, and no answer (nobody listens, no route, no answer in time) is unreachable. A TLS
     * failure is a refusal, never taken as "down" ({@link CallFailure}).
     */
    @Override
    public FenceResult fence(MemberStatus oldPrimary, String me, Duration timeout) {
        String base = AgentClient.base(oldPrimary).orElse(null);
        if (base == null) {
            return FenceResult.of(Outcome.UNREACHABLE, oldPrimary.name() + " publishes no api_url");
        }
        FenceResult silent = silent(base, timeout);
        if (silent != null) {
            return silent;
        }
        try {
            return result(client.fence(base, me, timeout));
        } catch (IOException e) {
            CallFailure kind = CallFailure.of(e);
            Outcome o = kind == CallFailure.TLS || kind == CallFailure.CLEARTEXT_REFUSED ? Outcome.REFUSED
                    : Outcome.UNREACHABLE;
            return FenceResult.of(o, "POST /fence to " + base + ": " + words(kind) + ": " + clip(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FenceResult.of(Outcome.UNREACHABLE, "POST /fence to " + base + " was interrupted");
        } catch (RuntimeException e) {
            return FenceResult.of(Outcome.UNREACHABLE, "POST /fence to " + base + " could not be sent: " + clip(e.getMessage()));
        }
    }

    /**
     * Unreachable when nothing answers TCP at {@code base} ({@link dev.baton.agent.net.TcpProbe}:
     * refused, or silent for half a second, where the client would wait out its connect timeout);
     * null to go on with the request.
     */
    private static FenceResult silent(String base, Duration timeout) {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(base);
        } catch (IllegalArgumentException e) {
            return null; // the request says what is wrong with it
        }
        if (uri.getHost() == null) {
            return null;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        var r = dev.baton.agent.net.TcpProbe.probe(uri.getHost(), port, timeout);
        return switch (r.answer()) {
            case REFUSED -> FenceResult.of(Outcome.UNREACHABLE, "POST /fence to " + base + ": the agent is down ("
                    + clip(r.detail()) + ")");
            case SILENT -> FenceResult.of(Outcome.UNREACHABLE, "POST /fence to " + base + ": " + r.detail());
            default -> null;
        };
    }

    /**
     * {@code POST /failsafe} to every member at once, with this agent's TLS and credentials, on
     * threads of their own (the calls block): accepted only for a 200 whose body is "Accepted".
     */
    @Override
    public List<dev.baton.agent.ha.FailsafePolicy.Answer> failsafe(java.util.Map<String, String> members, String body,
                                                                 Duration timeout) {
        List<CompletableFuture<dev.baton.agent.ha.FailsafePolicy.Answer>> futures = new ArrayList<>();
        for (var e : members.entrySet()) {
            CompletableFuture<dev.baton.agent.ha.FailsafePolicy.Answer> f = new CompletableFuture<>();
            Thread t = new Thread(() -> f.complete(failsafeCall(e.getKey(), e.getValue(), body, timeout)),
                    "baton-failsafe-call");
            t.setDaemon(true);
            t.start();
            futures.add(f);
        }
        List<dev.baton.agent.ha.FailsafePolicy.Answer> out = new ArrayList<>();
        for (var f : futures) {
            out.add(f.join());
        }
        return out;
    }

    private dev.baton.agent.ha.FailsafePolicy.Answer failsafeCall(String name, String apiUrl, String body,
                                                                Duration timeout) {
        try {
            AgentClient.Reply r = client.post(AgentClient.base(apiUrl), "failsafe", body, timeout);
            boolean ok = r.status() == 200 && r.body().strip().equals("Accepted");
            return new dev.baton.agent.ha.FailsafePolicy.Answer(name, ok, ok ? null : "HTTP " + r.status() + ": "
                    + clip(r.message()));
        } catch (IOException e) {
            return new dev.baton.agent.ha.FailsafePolicy.Answer(name, false, words(CallFailure.of(e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new dev.baton.agent.ha.FailsafePolicy.Answer(name, false, "interrupted");
        } catch (RuntimeException e) {
            return new dev.baton.agent.ha.FailsafePolicy.Answer(name, false, clip(e.getMessage()));
        }
    }

    /** What an answer to {@code POST /fence} means for the candidate. */
    static FenceResult result(FenceReply r) {
        if (r.status() == 200 && r.fenced() && r.state() != null) {
            switch (r.state()) {
                case FenceReply.STOPPED:
                    return new FenceResult(Outcome.FENCED, r.lsn(), "postgres stopped ("
                            + (r.mode() == null ? "unknown mode" : clip(r.mode())) + "), WAL up to " + Lsn.format(r.lsn()));
                case FenceReply.NOT_RUNNING:
                    return FenceResult.of(Outcome.NOT_RUNNING, "its agent says postgres is not running");
                case FenceReply.NOT_PRIMARY:
                    return FenceResult.of(Outcome.NOT_PRIMARY, "its agent says postgres runs in recovery");
                default:
                    break;
            }
        }
        return FenceResult.of(Outcome.REFUSED, "HTTP " + r.status() + ": " + clip(r.message()));
    }

    private static String words(CallFailure kind) {
        return switch (kind) {
            case UNREACHABLE -> "unreachable";
            case TIMEOUT -> "no answer in time";
            case TLS -> "TLS handshake failed";
            case CLEARTEXT_REFUSED -> "refused to send it in clear";
            case OTHER -> "no answer";
        };
    }

    /** Another agent's words in our logs and the history key: one line, printable, bounded. */
    static String clip(String s) {
        if (s == null || s.isBlank()) {
            return "(no message)";
        }
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.chars().map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().strip();
    }

    /** A peer that did not answer: what its member key says, not reachable. */
    static Candidacy.Peer published(MemberStatus m) {
        return new Candidacy.Peer(m.name(), false, !m.isPrimary(), m.xlogLocation(), m.timeline(), m.nofailover(),
                m.failoverPriority());
    }

    /**
     * A peer that answered: in recovery unless it runs as a primary; its WAL position as it
     * reported it (a primary's write position, else the furthest of received and replayed).
     */
    static Candidacy.Peer answered(MemberStatus m, PatroniStatus s) {
        return new Candidacy.Peer(m.name(), true, !s.runningPrimary(), s.walPosition(), s.timeline(), m.nofailover(),
                m.failoverPriority());
    }
}
