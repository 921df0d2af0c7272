package dev.baton.agent.client;

import dev.baton.agent.ha.Candidacy;
import dev.baton.agent.ha.PeerClient;
import dev.baton.leader.model.MemberStatus;
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
