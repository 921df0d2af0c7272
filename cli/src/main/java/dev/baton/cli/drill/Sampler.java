package dev.baton.cli.drill;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.PatroniStatus;
import dev.baton.agent.ha.PromotionReport;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Takes the drill's {@link Observation}s of a {@link DrillTarget}: {@code /primary} of every
 * member at once (a stopped agent is not asked: it would only time out), {@code /replica} and the
 * leader key only when asked for, so that the observer adds as little load as it can while the
 * figures are taken.
 */
final class Sampler {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final DrillTarget target;
    private final AgentClient agents;

    Sampler(DrillTarget target, AgentClient agents) {
        this.target = target;
        this.agents = agents;
    }

    /**
     * One observation at {@code at}.
     *
     * @param leaderKey  read the leader key too (unless the drill keeps etcd down)
     * @param replicas   ask {@code /replica} too (whether the cluster is whole; -1 for each when not)
     * @param switchover the switchover request in flight, or null
     */
    Observation sample(long at, boolean leaderKey, boolean replicas, List<DrillAnalysis.Ack> acks,
                       CompletableFuture<AgentClient.Reply> switchover) {
        List<String> members = target.members();
        Map<String, CompletableFuture<Integer>> primary = poll(members, "/primary");
        Map<String, CompletableFuture<Integer>> replica = replicas ? poll(members, "/replica") : Map.of();
        Optional<String> holder = leaderKey && !target.etcdDown() ? target.leaderKey() : null;
        boolean answered = switchover != null && switchover.isDone();
        Observation.Answer answer = null;
        if (answered) {
            AgentClient.Reply r = switchover.getNow(null);
            answer = r == null ? new Observation.Answer(-1, "") : new Observation.Answer(r.status(), r.body());
        }
        return new Observation(at, members, join(primary), join(replica), holder, acks,
                switchover != null && !answered, answer);
    }

    /** The baton.promotion of {@code member}'s {@code GET /patroni}, or null (no answer, or none published). */
    PromotionReport promotion(String member) {
        String base = target.restBase(member);
        return base == null ? null : agents.patroni(base, TIMEOUT).map(PatroniStatus::batonPromotion).orElse(null);
    }

    /** A switchover requested from {@code leader}'s REST API, answered later (null: no answer). */
    CompletableFuture<AgentClient.Reply> requestSwitchover(String leader, Duration timeout) {
        String base = target.restBase(leader);
        if (base == null) {
            throw new IllegalStateException(leader + " publishes no api_url");
        }
        return agents.switchoverAsync(base, leader, timeout);
    }

    private Map<String, CompletableFuture<Integer>> poll(List<String> members, String path) {
        Map<String, CompletableFuture<Integer>> pending = new LinkedHashMap<>();
        for (String m : members) {
            String base = target.paused(m) ? null : target.restBase(m);
            pending.put(m, base == null ? CompletableFuture.completedFuture(-1) : agents.statusCode(base, path, TIMEOUT));
        }
        return pending;
    }

    private static Map<String, Integer> join(Map<String, CompletableFuture<Integer>> pending) {
        Map<String, Integer> out = new LinkedHashMap<>();
        pending.forEach((m, f) -> out.put(m, f.join()));
        return out;
    }
}
