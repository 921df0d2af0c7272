package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.MemberStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asks peers' REST APIs ({@code GET /patroni}) how far they are, all in parallel, with one short timeout. */
public interface PeerClient {

    List<Candidacy.Peer> poll(List<MemberStatus> peers, Duration timeout);

    /** Like {@link #poll}, but asks the peers to read their WAL positions now ({@code /patroni?fresh}). */
    default List<Candidacy.Peer> pollFresh(List<MemberStatus> peers, Duration timeout) {
        return poll(peers, timeout);
    }

    /** The real client over HTTP. */
    final class Http implements PeerClient {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

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
                futures.add(ask(m, timeout, query));
            }
            List<Candidacy.Peer> out = new ArrayList<>();
            for (CompletableFuture<Candidacy.Peer> f : futures) {
                out.add(f.join());
            }
            return out;
        }

        private CompletableFuture<Candidacy.Peer> ask(MemberStatus m, Duration timeout, String query) {
            Candidacy.Peer fallback = new Candidacy.Peer(m.name(), false, !m.isPrimary(),
                    m.xlogLocation(), m.timeline(), m.nofailover(), priority(m));
            if (m.apiUrl() == null) {
                return CompletableFuture.completedFuture(fallback);
            }
            try {
                HttpRequest req = HttpRequest.newBuilder(URI.create(m.apiUrl() + query)).timeout(timeout).GET().build();
                return client.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                        .thenApply(r -> parse(m, r.body(), fallback))
                        .completeOnTimeout(fallback, timeout.toMillis() + 200, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .exceptionally(e -> fallback);
            } catch (IllegalArgumentException e) {
                return CompletableFuture.completedFuture(fallback);
            }
        }

        private static Candidacy.Peer parse(MemberStatus m, String body, Candidacy.Peer fallback) {
            try {
                JsonNode n = JSON.readTree(body);
                String role = n.path("role").asText("");
                boolean running = "running".equals(n.path("state").asText(""));
                boolean inRecovery = !(running && ("primary".equals(role) || "master".equals(role)));
                JsonNode x = n.path("xlog");
                long wal = x.has("location") ? x.path("location").asLong()
                        : Math.max(x.path("received_location").asLong(0), x.path("replayed_location").asLong(0));
                return new Candidacy.Peer(m.name(), true, inRecovery, wal, n.path("timeline").asInt(0),
                        m.nofailover(), priority(m));
            } catch (Exception e) {
                return fallback;
            }
        }

        private static int priority(MemberStatus m) {
            Object p = m.tags().get("failover_priority");
            try {
                return p == null ? 1 : Integer.parseInt(String.valueOf(p));
            } catch (NumberFormatException e) {
                return 1;
            }
        }
    }
}
