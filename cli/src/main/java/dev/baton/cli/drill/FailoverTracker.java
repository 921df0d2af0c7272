package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one iteration's observations mean, from the fault until the cluster is whole again: a
 * pure state machine fed with {@link Observation}s (no I/O, no clock: every instant comes from
 * them), so that it can be tested with synthetic sequences. It reports what it sees to a
 * {@link Sink}, says when the fault is due to be healed (the caller heals it), and ends when the
 * cluster looked whole for long enough, or the deadline passed.
 */
final class FailoverTracker {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    /** Where the tracker's findings go, as they happen. */
    interface Sink {
        /** Something seen or done at {@code at} about {@code member}, for the reports and the progress. */
        void event(long at, String kind, String member, String text);

        /** The first acknowledged write on {@code member} after the fault (after it answered /primary 200 again, for the old primary). */
        void firstWrite(long at, String member);
    }

    /** Heals the fault; returns null, or why it could not. */
    interface Healer {
        String heal();
    }

    /**
     * The iteration's timing.
     *
     * @param durationNanos the fault's --duration (when it lasts)
     * @param killCapNanos  for faults restarted once writes flow: restart at the latest this long after the fault
     * @param stableNanos   how long the cluster must look whole before it counts as whole
     * @param deadline      when to give up ({@link System#nanoTime()} instant)
     */
    record Limits(long durationNanos, long killCapNanos, long stableNanos, long deadline) {
    }

    private final Fault fault;
    private final String old;
    private final long faultAt;
    private final Limits limits;
    private final Sink sink;
    private final List<DrillAnalysis.Ack> acks;
    private final Map<String, Long> first200 = new LinkedHashMap<>();
    private final Set<String> firstWriteSeen = new HashSet<>();
    private boolean healDone;
    private boolean oldDown;
    private boolean switchoverSeen;
    private Long leaderGoneAt;
    private Long healAt;
    private Long rejoinedAt;
    private Long wholeAt;
    private String finalPrimary;
    private String lastState = "";
    private Long streak;
    private String streakPrimary;
    private String problem;
    private boolean done;

    /**
     * @param acks the writes acknowledged just before the fault (at least the last one), the
     *             start of this iteration's acknowledgements
     */
    FailoverTracker(Fault fault, String old, long faultAt, Limits limits, List<DrillAnalysis.Ack> acks, Sink sink) {
        this.fault = fault;
        this.old = old;
        this.faultAt = faultAt;
        this.limits = limits;
        this.acks = new ArrayList<>(acks);
        this.sink = sink;
        this.healDone = !fault.needsHeal();
    }

    /** Whether the next observation should read the leader key (only until it was seen gone). */
    boolean wantsLeaderKey() {
        return leaderGoneAt == null;
    }

    /** Whether the next observation needs {@code /replica}: once healed, to tell when the cluster is whole. */
    boolean wantsReplicas() {
        return healDone;
    }

    /** Takes one observation in; true when the iteration is over (whole again, failed to heal, or out of time). */
    boolean step(Observation o, Healer healer) {
        if (done) {
            return true;
        }
        long now = o.at();
        acks.addAll(o.acks());
        watchPrimaries(o, now);
        if (leaderGoneAt == null && o.leaderKey() != null && !o.leaderKey().equals(Optional.of(old))) {
            leaderGoneAt = now;
            sink.event(now, "leader-gone", old, "leader key of " + old + " gone"
                    + o.leaderKey().map(h -> "; now held by " + h).orElse(""));
        }
        watchFirstWrites();
        if (o.switchoverAnswer() != null && !switchoverSeen) {
            switchoverSeen = true;
            sink.event(now, "switchover", old, "switchover answered " + o.switchoverAnswer());
            if (!o.switchoverAnswer().ok()) {
                problem = "the switchover failed: " + o.switchoverAnswer();
            }
        }
        if (!healDone && healDue(now)) {
            healAt = now;
            sink.event(now, "heal", old, healText());
            String failed = healer.heal();
            if (failed != null) {
                problem = failed;
                return done = true;
            }
            healDone = true;
        }
        if (healDone && whole(o, now)) {
            return done = true;
        }
        if (now - limits.deadline() > 0) {
            problem = (problem == null ? "" : problem + "; ") + "the cluster was not whole again within "
                    + (limits.deadline() - faultAt) / S + " s after the fault: " + lastState;
            return done = true;
        }
        return false;
    }

    private void watchPrimaries(Observation o, long now) {
        for (String m : o.members()) {
            int st = o.primary(m);
            if (st == 200) {
                if (!first200.containsKey(m) && (!m.equals(old) || oldDown)) {
                    first200.put(m, now);
                    sink.event(now, "primary", m, m.equals(old) ? m + " answers /primary 200 again"
                            : m + " answers /primary 200 (promoted)");
                }
            } else if (m.equals(old) && !oldDown) {
                oldDown = true;
                sink.event(now, "old-down", old, old + " no longer answers /primary 200 ("
                        + (st < 0 ? "no answer" : "HTTP " + st) + ")");
            }
        }
    }

    private void watchFirstWrites() {
        for (String m : first200.keySet()) {
            if (!firstWriteSeen.contains(m)) {
                long from = m.equals(old) ? Math.max(faultAt, first200.get(m) - S / 2) : faultAt;
                Long t = firstAck(from, m);
                if (t != null) {
                    firstWriteSeen.add(m);
                    sink.firstWrite(t, m);
                }
            }
        }
    }

    /** After the heal: one primary, every other member streaming from it, for long enough, with a write on it since. */
    private boolean whole(Observation o, long now) {
        boolean looksWhole = false;
        List<String> p = o.primaries();
        lastState = o.describe(false);
        if (p.size() == 1) {
            String q = p.get(0);
            List<String> others = new ArrayList<>(o.members());
            others.remove(q);
            if (!q.equals(old) && rejoinedAt == null && o.replica(old) == 200) {
                rejoinedAt = now;
                sink.event(now, "rejoined", q, old + " streams from " + q + " again");
            }
            boolean all = others.stream().allMatch(m -> o.replica(m) == 200);
            if (all && !o.switchoverPending()) {
                looksWhole = true;
                if (streak == null || !q.equals(streakPrimary)) {
                    streak = now;
                    streakPrimary = q;
                }
                if (now - streak >= limits.stableNanos() && firstSentAfter(streak, q)) {
                    wholeAt = streak;
                    finalPrimary = q;
                    sink.event(streak, "whole", q, "cluster whole: " + q + " is the primary, " + others.size()
                            + " member(s) streaming (and still " + (now - streak) / MS + " ms later)");
                    return true;
                }
            }
        }
        if (!looksWhole) {
            streak = null;
        }
        return false;
    }

    private boolean healDue(long now) {
        if (!fault.restartsOnceWritesFlow()) {
            return now - faultAt >= limits.durationNanos();
        }
        // Restart the stopped node once writes flow on the new primary (or a while after the
        // promotion, so that a stalled writer does not keep it down; or if nothing happened).
        for (Map.Entry<String, Long> e : first200.entrySet()) {
            if (!e.getKey().equals(old) && (firstWriteSeen.contains(e.getKey()) || now - e.getValue() > 30 * S)) {
                return true;
            }
        }
        return now - faultAt > limits.killCapNanos();
    }

    private String healText() {
        return switch (fault) {
            case KILL_NODE, KILL_AGENT, TERM_AGENT -> "heal: restarting " + old + "'s agent";
            case STOP_AGENT -> "heal: SIGCONT to " + old + "'s agent";
            case STOP_AGENT_TREE -> "heal: SIGCONT to " + old + "'s agent, and "
                    + FrozenTrees.RESUME_GAP_MILLIS + " ms later to the processes it started";
            case PARTITION_PRIMARY -> "heal: " + old + "'s agent reaches etcd again";
            case ETCD_DOWN -> "heal: starting etcd";
            default -> "heal";
        };
    }

    /** Whether {@code server} acknowledged a write that was sent after {@code after}. */
    private boolean firstSentAfter(long after, String server) {
        for (int k = acks.size() - 1; k >= 0; k--) {
            DrillAnalysis.Ack a = acks.get(k);
            if (a.sentNanos() - after > 0 && a.server().equals(server)) {
                return true;
            }
        }
        return false;
    }

    /** The first acknowledgement by {@code server} after {@code after} in this iteration, or null. */
    Long firstAck(long after, String server) {
        return DrillAnalysis.firstAck(acks, server, after);
    }

    // ------------------------------------------------------------------ what it saw

    /** Ends the iteration before any observation (the fault could not be injected). */
    void abort(String why) {
        problem = why;
        done = true;
    }

    String problem() {
        return problem;
    }

    Long leaderGoneAt() {
        return leaderGoneAt;
    }

    Long healAt() {
        return healAt;
    }

    Long rejoinedAt() {
        return rejoinedAt;
    }

    Long wholeAt() {
        return wholeAt;
    }

    /** The primary of the whole cluster at the end, or null. */
    String finalPrimary() {
        return finalPrimary;
    }

    /** When {@code member} first answered /primary 200 after the fault (for the old primary: again, after it had stopped), or null. */
    Long first200(String member) {
        return first200.get(member);
    }
}
