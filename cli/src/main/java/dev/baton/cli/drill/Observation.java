package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the drill saw at one instant: every member's answer to {@code /primary} and
 * {@code /replica} (-1: no answer, or a stopped agent not asked), the holder of the leader key
 * when it was read, the writes acknowledged since the previous observation, and how the
 * switchover request stands.
 *
 * @param at                {@link System#nanoTime()} before the polls were sent
 * @param members           the member names, in a stable order
 * @param leaderKey         the leader key's holder (empty: no leader key); null when not read or unreadable
 * @param acks              writes acknowledged since the previous observation
 * @param switchoverPending a switchover was requested and has not answered yet
 * @param switchoverAnswer  its answer, once it came (HTTP status -1: no answer), else null
 */
public record Observation(long at, List<String> members, Map<String, Integer> primary, Map<String, Integer> replica,
                         Optional<String> leaderKey, List<DrillAnalysis.Ack> acks, boolean switchoverPending,
                         Answer switchoverAnswer) {

    /** The answer to a switchover request. */
    public record Answer(int status, String body) {
        public boolean ok() {
            return status == 200;
        }

        @Override
        public String toString() {
            return status < 0 ? "no answer" : "HTTP " + status + " " + body.strip();
        }
    }

    public Observation {
        members = List.copyOf(members);
        primary = Map.copyOf(primary);
        replica = Map.copyOf(replica);
        acks = List.copyOf(acks);
    }

    public int primary(String member) {
        return primary.getOrDefault(member, -1);
    }

    public int replica(String member) {
        return replica.getOrDefault(member, -1);
    }

    /** The members answering /primary 200, in member order. */
    public List<String> primaries() {
        List<String> p = new ArrayList<>();
        for (String m : members) {
            if (primary(m) == 200) {
                p.add(m);
            }
        }
        return p;
    }

    /** The primary if the cluster looks whole (exactly one member answers /primary 200, every other /replica 200), else null. */
    public String wholePrimary() {
        List<String> p = primaries();
        if (p.size() != 1) {
            return null;
        }
        for (String m : members) {
            if (!m.equals(p.get(0)) && replica(m) != 200) {
                return null;
            }
        }
        return p.get(0);
    }

    /** "node1 /primary 200; node2 /primary 503, /replica 200; ...", the replica answers only when {@code withReplica}, or for the non-primaries when one primary stands out. */
    public String describe(boolean withReplica) {
        List<String> p = primaries();
        List<String> parts = new ArrayList<>();
        for (String m : members) {
            int code = primary(m);
            String s = m + " /primary " + (code < 0 ? "no answer" : code);
            if (withReplica || (p.size() == 1 && !p.get(0).equals(m))) {
                int r = replica(m);
                s += ", /replica " + (r < 0 ? "no answer" : r);
            }
            parts.add(s);
        }
        return String.join("; ", parts);
    }
}
