package dev.baton.agent.ha;

import dev.baton.agent.postgres.FenceResult;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.List;

/** Asks peers' REST APIs ({@code GET /patroni}) how far they are, all in parallel, with one short timeout. */
public interface PeerClient {

    List<Candidacy.Peer> poll(List<MemberStatus> peers, Duration timeout);

    /**
     * Calls this agent's own {@code apiUrl} the way {@link #poll} calls a peer's, in the
     * background, the answer ignored: the first leader race of a freshly started agent then runs
     * on loaded classes and an open client instead of paying for them while the cluster has no
     * primary. Never throws, never blocks.
     */
    default void warmUp(String apiUrl) {
    }

    /** Like {@link #poll}, but asks the peers to read their WAL positions now ({@code /patroni?fresh}). */
    default List<Candidacy.Peer> pollFresh(List<MemberStatus> peers, Duration timeout) {
        return poll(peers, timeout);
    }

    /**
     * Asks a former primary's agent ({@code POST /fence} to its {@code api_url}) to stop its
     * postgres, because {@code me} took the leader key after its lease expired. Bounded by
     * {@code timeout}; never throws.
     */
    default FenceResult fence(MemberStatus oldPrimary, String me, Duration timeout) {
        return FenceResult.of(FenceResult.Outcome.UNREACHABLE, "fencing over REST is not available");
    }

    /**
     * Failsafe mode: {@code POST /failsafe} with {@code body} to every member of {@code members}
     * (name to api_url) at once, each bounded by {@code timeout}; one answer per member, accepted
     * only for a 200 "Accepted". Never throws.
     */
    default List<FailsafePolicy.Answer> failsafe(java.util.Map<String, String> members, String body, Duration timeout) {
        return members.keySet().stream().map(n -> new FailsafePolicy.Answer(n, false, "POST /failsafe is not available"))
                .toList();
    }
}
