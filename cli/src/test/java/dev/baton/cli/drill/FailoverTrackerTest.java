package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The drill's observe loop as a pure state machine, fed synthetic observations (no cluster, no clock). */
class FailoverTrackerTest {
    private static final long S = FailoverTracker.S;
    private static final long MS = FailoverTracker.MS;
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");
    private static final FailoverTracker.Limits LIMITS = new FailoverTracker.Limits(30 * S, 60 * S, 2 * S, 200 * S);

    private final List<String> seen = new ArrayList<>();
    private final List<String> heals = new ArrayList<>();
    private long id = 100;

    private final FailoverTracker.Sink sink = new FailoverTracker.Sink() {
        @Override
        public void event(long at, String kind, String member, String text) {
            seen.add(at / MS + " " + kind + ": " + text);
        }

        @Override
        public void firstWrite(long at, String member) {
            seen.add(at / MS + " write: " + member);
        }
    };

    private FailoverTracker.Healer healer(String result) {
        return () -> {
            heals.add("heal");
            return result;
        };
    }

    /** An observation at {@code ms}: codes as "PPP/RRR" per member (2 = 200, 5 = 503, x = no answer). */
    private Observation at(long ms, String primary, String replica, Optional<String> leader,
                           List<DrillAnalysis.Ack> acks) {
        return new Observation(ms * MS, MEMBERS, codes(primary), codes(replica), leader, acks, false, null);
    }

    private static Map<String, Integer> codes(String s) {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < MEMBERS.size(); i++) {
            char c = s.charAt(i);
            m.put(MEMBERS.get(i), c == '2' ? 200 : c == '5' ? 503 : -1);
        }
        return m;
    }

    private DrillAnalysis.Ack ack(String server, long sentMs, long ackMs) {
        return new DrillAnalysis.Ack(id++, sentMs * MS, ackMs * MS, server);
    }

    @Test
    void aKillNodeFailoverFromFaultToWhole() {
        FailoverTracker t = new FailoverTracker(Fault.KILL_NODE, "n1", 0, LIMITS, List.of(ack("n1", -20, -10)), sink);
        assertTrue(t.wantsLeaderKey());
        assertFalse(t.step(at(100, "255", "x22", Optional.of("n1"), List.of()), healer(null)));
        assertFalse(t.step(at(200, "x55", "x55", Optional.of("n1"), List.of()), healer(null)));
        assertFalse(t.step(at(9000, "x55", "x55", Optional.empty(), List.of()), healer(null)));
        assertFalse(t.wantsLeaderKey());
        assertFalse(t.step(at(9500, "x25", "x55", null, List.of()), healer(null)));
        assertEquals(List.of(), heals, "no restart before writes flow on the new primary");
        // A write on n2: the killed node is restarted at the next observation.
        assertFalse(t.step(at(9600, "x25", "x55", null, List.of(ack("n2", 9550, 9580))), healer(null)));
        assertEquals(List.of("heal"), heals);
        assertFalse(t.step(at(20000, "x25", "x52", null, List.of()), healer(null)), "n1 not streaming yet");
        assertFalse(t.step(at(21000, "525", "252", null, List.of()), healer(null)));
        assertFalse(t.step(at(22000, "525", "252", null, List.of(ack("n2", 21500, 21510))), healer(null)));
        assertTrue(t.step(at(23000, "525", "252", null, List.of()), healer(null)), "whole for 2 s with a write since");
        assertEquals("n2", t.finalPrimary());
        assertEquals(21000 * MS, t.wholeAt());
        assertEquals(21000 * MS, t.rejoinedAt());
        assertEquals(9000 * MS, t.leaderGoneAt());
        assertEquals(9600 * MS, t.healAt());
        assertEquals(9500 * MS, t.first200("n2"));
        assertNull(t.problem());
        assertEquals(List.of(
                "200 old-down: n1 no longer answers /primary 200 (no answer)",
                "9000 leader-gone: leader key of n1 gone",
                "9500 primary: n2 answers /primary 200 (promoted)",
                "9580 write: n2",
                "9600 heal: heal: restarting n1's agent",
                "21000 rejoined: n1 streams from n2 again",
                "21000 whole: cluster whole: n2 is the primary, 2 member(s) streaming (and still 2000 ms later)"), seen);
    }

    @Test
    void theOldPrimaryBackInPlaceCountsOnlyAfterItStopped() {
        FailoverTracker t = new FailoverTracker(Fault.KILL_POSTGRES, "n1", 0, LIMITS, List.of(), sink);
        t.step(at(100, "255", "522", Optional.of("n1"), List.of()), healer(null));
        assertNull(t.first200("n1"), "still answering 200 from its last cycle is not a promotion");
        t.step(at(1000, "555", "522", Optional.of("n1"), List.of()), healer(null));
        t.step(at(5000, "255", "522", Optional.of("n1"), List.of(ack("n1", 4800, 5100))), healer(null));
        assertEquals(5000 * MS, t.first200("n1"));
        assertEquals(List.of(), heals, "a killed postgres heals itself");
        assertFalse(t.step(at(6900, "255", "522", null, List.of(ack("n1", 6000, 6010))), healer(null)));
        assertTrue(t.step(at(7000, "255", "522", null, List.of()), healer(null)), "whole since 5 s, a write since");
        assertEquals("n1", t.finalPrimary());
        assertNull(t.rejoinedAt(), "the faulted member is the primary");
        assertTrue(seen.contains("5000 primary: n1 answers /primary 200 again"), seen.toString());
        assertTrue(seen.contains("5100 write: n1"), seen.toString());
        assertFalse(t.wantsLeaderKey() && seen.stream().anyMatch(e -> e.contains("leader-gone")));
    }

    @Test
    void aBreakInWholenessStartsTheStableStreakAgain() {
        FailoverTracker t = new FailoverTracker(Fault.KILL_POSTGRES, "n1", 0, LIMITS, List.of(), sink);
        t.step(at(1000, "555", "522", null, List.of()), healer(null));
        t.step(at(2000, "255", "522", null, List.of()), healer(null));
        t.step(at(3000, "255", "5x2", null, List.of()), healer(null));
        assertFalse(t.step(at(4500, "255", "522", null, List.of(ack("n1", 4600, 4700))), healer(null)));
        assertFalse(t.step(at(6000, "255", "522", null, List.of()), healer(null)), "only 1.5 s since the break");
        assertTrue(t.step(at(6500, "255", "522", null, List.of()), healer(null)));
        assertEquals(4500 * MS, t.wholeAt());
    }

    @Test
    void aFaultThatLastsIsHealedAfterItsDuration() {
        FailoverTracker t = new FailoverTracker(Fault.STOP_AGENT, "n1", 0, LIMITS, List.of(), sink);
        t.step(at(29900, "x25", "x52", null, List.of()), healer(null));
        assertEquals(List.of(), heals);
        t.step(at(30000, "x25", "x52", null, List.of()), healer(null));
        assertEquals(List.of("heal"), heals);
        assertTrue(seen.contains("30000 heal: heal: SIGCONT to n1's agent"), seen.toString());
    }

    @Test
    void aHealThatFailsEndsTheIteration() {
        FailoverTracker t = new FailoverTracker(Fault.ETCD_DOWN, "n1", 0, LIMITS, List.of(), sink);
        assertTrue(t.step(at(30000, "255", "522", null, List.of()), healer("could not heal etcd-down: boom")));
        assertEquals("could not heal etcd-down: boom", t.problem());
        assertNull(t.finalPrimary());
    }

    @Test
    void aFailedSwitchoverIsAProblemAndAPendingOneKeepsTheClusterFromCountingAsWhole() {
        FailoverTracker t = new FailoverTracker(Fault.SWITCHOVER, "n1", 0, LIMITS, List.of(), sink);
        Observation pending = new Observation(1000 * MS, MEMBERS, codes("255"), codes("522"), null,
                List.of(ack("n1", 900, 950)), true, null);
        assertFalse(t.step(pending, healer(null)));
        Observation later = new Observation(4000 * MS, MEMBERS, codes("255"), codes("522"), null, List.of(), true, null);
        assertFalse(t.step(later, healer(null)), "the switchover has not answered: not whole yet");
        Observation answered = new Observation(5000 * MS, MEMBERS, codes("255"), codes("522"), null,
                List.of(ack("n1", 5000, 5001)), false, new Observation.Answer(412, "candidate not streaming\n"));
        assertFalse(t.step(answered, healer(null)));
        assertTrue(seen.contains("5000 switchover: switchover answered HTTP 412 candidate not streaming"), seen.toString());
        assertEquals("the switchover failed: HTTP 412 candidate not streaming", t.problem());
    }

    @Test
    void outOfTimeSaysWhatTheClusterLookedLike() {
        FailoverTracker t = new FailoverTracker(Fault.KILL_POSTGRES, "n1", 0,
                new FailoverTracker.Limits(0, 0, 2 * S, 10 * S), List.of(), sink);
        assertFalse(t.step(at(10000, "555", "x55", null, List.of()), healer(null)));
        assertTrue(t.step(at(10100, "555", "x55", null, List.of()), healer(null)));
        assertEquals("the cluster was not whole again within 10 s after the fault: n1 /primary 503; n2 /primary 503; "
                + "n3 /primary 503", t.problem());
    }

    @Test
    void anAbortedIterationIsOverAtOnce() {
        FailoverTracker t = new FailoverTracker(Fault.KILL_NODE, "n1", 0, LIMITS, List.of(), sink);
        t.abort("could not inject kill-node: gone");
        assertTrue(t.step(at(100, "255", "522", null, List.of()), healer(null)));
        assertEquals(List.of(), seen);
    }
}
