package dev.baton.agent.ha;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Patroni's {@code failsafe_mode} (docs/dcs_failsafe_mode.rst) as pure functions: the
 * {@code failsafe} key the leader keeps ({@code {member: api_url}}), whether a primary that lost
 * the cluster store may keep running (every other member of the key acknowledged
 * {@code POST /failsafe}: "ALL, not a quorum"), how long a successful round holds it, and which
 * replicas may not race for the leader key (docs/failure-modes.md, <em>Failsafe mode</em>).
 */
public final class FailsafePolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The words of the cycle that keeps a primary running through an outage (Patroni's). */
    public static final String CONTINUE = "continue to run as a leader because failsafe mode is enabled and all members "
            + "are accessible";

    private FailsafePolicy() {
    }

    /** The {@code failsafe} key the leader wants: every member that publishes an {@code api_url}, by name. */
    public static SortedMap<String, String> topology(ClusterView view) {
        SortedMap<String, String> out = new TreeMap<>();
        for (MemberStatus m : view.members().values()) {
            if (m.apiUrl() != null && !m.apiUrl().isBlank()) {
                out.put(m.name(), m.apiUrl());
            }
        }
        return out;
    }

    /**
     * The {@code failsafe} key's value as a map, or null when it is absent or not a JSON object of
     * strings (Patroni then ignores it: "discard failsafe_mode if the key contains garbage").
     */
    public static SortedMap<String, String> parse(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) {
                return null;
            }
            SortedMap<String, String> out = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual() || e.getKey().isEmpty()) {
                    return null;
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
            return out;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The key's JSON, sorted by member name. */
    public static String toJson(Map<String, String> topology) {
        ObjectNode o = JSON.createObjectNode();
        new TreeMap<>(topology).forEach(o::put);
        return o.toString();
    }

    /**
     * Whether the leader writes the key this cycle: failsafe_mode is on, it holds the lock, runs
     * as the primary, and the key differs from the members it sees (Patroni writes it with
     * {@code update_leader} when it changed).
     */
    public static boolean mustWrite(boolean failsafeMode, boolean leaderRunningPrimary, Map<String, String> stored,
                                    Map<String, String> wanted) {
        return failsafeMode && leaderRunningPrimary && !wanted.isEmpty() && !wanted.equals(stored);
    }

    /**
     * The members a primary that lost the store must hear {@code Accepted} from, or null when
     * failsafe does not apply (then the node demotes as without failsafe): failsafe_mode off, not
     * running as the primary, paused (no action anyway), the key unreadable, or this node not in it.
     */
    public static Map<String, String> peersToAsk(boolean failsafeMode, boolean runningAsPrimary, String me,
                                                 Map<String, String> topology) {
        if (!failsafeMode || !runningAsPrimary || topology == null || !topology.containsKey(me)) {
            return null;
        }
        Map<String, String> out = new TreeMap<>(topology);
        out.remove(me);
        return out;
    }

    /** One member's answer to {@code POST /failsafe}. */
    public record Answer(String member, boolean accepted, String detail) {
    }

    /** What a round decided: whether the primary keeps running, and the sentence. */
    public record Round(boolean keep, String sentence) {
    }

    /**
     * The outcome of a round over {@code asked} members: keep running only when every one
     * accepted (a one-member key, only this node, keeps running). A member without an answer
     * counts as refused.
     */
    public static Round judge(Map<String, String> asked, List<Answer> answers) {
        List<String> refused = new ArrayList<>();
        for (String name : asked.keySet()) {
            Answer a = answers.stream().filter(x -> x.member().equals(name)).findFirst().orElse(null);
            if (a == null || !a.accepted()) {
                refused.add(name + (a == null || a.detail() == null ? "" : " (" + a.detail() + ")"));
            }
        }
        if (refused.isEmpty()) {
            return new Round(true, CONTINUE);
        }
        return new Round(false, "demoting self because the cluster store is not accessible and failsafe mode could "
                + "not reach every member: " + String.join(", ", refused));
    }

    /**
     * Until when a successful round that started at {@code startedAt} (monotonic nanoseconds)
     * holds the primary: {@code ttl} less the lease margin ({@link LeaseMath#marginNanos}). Every
     * member that accepted recorded the call when it arrived, after {@code startedAt}, and does
     * not race for the key for {@code ttl} after that, so the primary stops writes (fence and
     * watchdog) before any of them may take over.
     */
    public static long holdUntil(long startedAt, int ttlSeconds) {
        return startedAt + TimeUnit.SECONDS.toNanos(ttlSeconds) - LeaseMath.marginNanos(ttlSeconds);
    }

    /**
     * How long one {@code POST /failsafe} may take: at most 2 s (Patroni's), less if the outage
     * cycle (loop_wait, then retry_timeout for the failed store call) and the round would not fit
     * in the hold of the previous round; at least 0.5 s.
     */
    public static long callTimeoutMillis(int ttlSeconds, int loopWaitSeconds, int retryTimeoutSeconds) {
        long budget = TimeUnit.NANOSECONDS.toMillis(TimeUnit.SECONDS.toNanos(ttlSeconds) - LeaseMath.marginNanos(ttlSeconds))
                - 1000L * (loopWaitSeconds + retryTimeoutSeconds) - 250;
        return Math.max(500, Math.min(2000, budget));
    }

    /**
     * Why this node may not race for a vacant leader key, or null if failsafe does not stop it:
     * it acknowledged a {@code POST /failsafe} from {@code leader} less than {@code ttl} ago (that
     * primary may still take writes), or failsafe_mode is on, the key is readable, and this node is
     * not in it (Patroni: a member the leader never listed may not be promoted).
     */
    public static String raceVeto(boolean failsafeMode, Map<String, String> topology, String me,
                                  FailsafeState.Ack ack, long now, int ttlSeconds) {
        if (ack != null && ack.activeAt(now, ttlSeconds)) {
            return String.format(Locale.ROOT, "no action: the cluster has no leader, but %s confirmed it runs as the "
                    + "primary by POST /failsafe %.1f s ago (failsafe mode): not racing for %d s after it",
                    ack.leader(), (now - ack.receivedAt()) / 1e9, ttlSeconds);
        }
        if (failsafeMode && topology != null && !topology.isEmpty() && !topology.containsKey(me)) {
            return "no action: the cluster has no leader and I am not in the failsafe key (failsafe mode: only "
                    + String.join(", ", new TreeMap<>(topology).keySet()) + " may take over)";
        }
        return null;
    }
}
