package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.QuorumPlanner.Key;
import dev.baton.agent.ha.QuorumPlanner.Names;
import dev.baton.agent.ha.QuorumPlanner.Step;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.SyncState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Quorum commit's ordering of synchronous_standby_names and the sync key, cycle by cycle, without I/O. */
class QuorumPlannerTest {

    /** The leader's view over cycles: what is in effect, and every names value since the last confirmation. */
    static final class Sim {
        Key key;
        Names names;
        boolean confirmed;
        final List<Names> live = new ArrayList<>();
        final List<String> sentences = new ArrayList<>();

        Sim(Key key, Names names) {
            this.key = key;
            this.names = names;
            this.confirmed = names != null;
            if (names != null) {
                live.add(names);
            }
        }

        /** Runs cycles until steady; postgres confirms a names value one cycle after it was set. */
        void settle(Set<String> active, int wanted) {
            for (int cycle = 0; cycle < 30; cycle++) {
                Step s = QuorumPlanner.plan(key, names, confirmed, active, wanted);
                sentences.add(s.why());
                if (s.key() != null) {
                    if (!s.key().voters().isEmpty()) {
                        assertTrue(confirmed, "a non-empty key is written only once the names are confirmed: " + s);
                        for (Names n : live) {
                            assertTrue(QuorumPlanner.consistent(s.key(), n), s + " against " + n + " " + sentences);
                        }
                    }
                    key = s.key();
                } else if (s.names() != null) {
                    if (key != null) {
                        assertTrue(QuorumPlanner.consistent(key, s.names()), s + " against " + key + " " + sentences);
                    }
                    names = s.names();
                    live.add(names);
                    confirmed = false;
                } else if (!confirmed && names != null) {
                    confirmed = true;
                    live.clear();
                    live.add(names);
                } else {
                    int k = Math.min(wanted, active.size());
                    assertEquals(new Names(k, active), names, sentences.toString());
                    assertEquals(active.isEmpty() ? Key.EMPTY : new Key(active.size() - k, active), key,
                            sentences.toString());
                    assertTrue(s.idle());
                    return;
                }
            }
            throw new AssertionError("not steady after 30 cycles: " + sentences);
        }
    }

    static Set<String> set(String... names) {
        return new TreeSet<>(List.of(names));
    }

    @Test
    void threeNodesStepByStep() {
        Sim sim = new Sim(null, null);
        sim.settle(set("b", "c"), 1);
        assertEquals(List.of(
                "claiming the sync key with no voter (only I may take over)",
                "setting synchronous_standby_names (the value in effect is unknown)",
                "waiting for 1 of b, c to confirm synchronous_standby_names",
                "sync key: voters b, c with quorum 1",
                "quorum commit is steady"), sim.sentences);
        assertEquals("ANY 1 (\"b\",\"c\")", sim.names.render(false));
        // c stops: the names drop it first (the key still makes b look at c), then the key follows.
        sim.sentences.clear();
        sim.settle(set("b"), 1);
        assertEquals(List.of(
                "synchronous_standby_names for the standbys b",
                "waiting for 1 of b to confirm synchronous_standby_names",
                "sync key: voters b with quorum 0",
                "quorum commit is steady"), sim.sentences);
        // c comes back: the key takes it first with quorum 1, then the names.
        sim.sentences.clear();
        sim.settle(set("b", "c"), 1);
        assertEquals(List.of(
                "sync key: voters b, c with quorum 1 before synchronous_standby_names changes",
                "synchronous_standby_names for the standbys b, c",
                "waiting for 1 of b, c to confirm synchronous_standby_names",
                "quorum commit is steady"), sim.sentences);
        // Everyone gone: names empty ('' or '*' strict), the key keeps no voter.
        sim.settle(set(), 1);
        assertEquals(Names.NONE, sim.names);
        assertEquals("*", sim.names.render(true));
        assertEquals("", sim.names.render(false));
    }

    /** Every change of the active set and synchronous_node_count, from steady states and from unknown ones. */
    @Test
    void everyTransitionKeepsTheInvariantAndSettles() {
        List<Set<String>> subsets = new ArrayList<>();
        String[] u = {"a", "b", "c", "d"};
        for (int m = 0; m < 16; m++) {
            Set<String> s = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
                if ((m >> i & 1) == 1) {
                    s.add(u[i]);
                }
            }
            subsets.add(s);
        }
        int runs = 0;
        for (Set<String> from : subsets) {
            for (Set<String> to : subsets) {
                for (int w1 = 1; w1 <= 3; w1++) {
                    for (int w2 = 1; w2 <= 3; w2++) {
                        Sim sim = new Sim(null, null);
                        sim.settle(from, w1);
                        sim.settle(to, w2);
                        // Interrupted: the agent restarts (names unknown) with the key as it was.
                        Sim restarted = new Sim(sim.key, null);
                        restarted.settle(from, w2);
                        runs++;
                    }
                }
            }
        }
        assertEquals(16 * 16 * 9, runs);
    }

    @Test
    void consistency() {
        assertTrue(QuorumPlanner.consistent(Key.EMPTY, Names.NONE));
        assertTrue(QuorumPlanner.consistent(new Key(1, set("b", "c")), new Names(1, set("b", "c"))));
        assertFalse(QuorumPlanner.consistent(new Key(0, set("b", "c")), new Names(1, set("b", "c"))),
                "b alone could promote while only c holds a commit");
        assertFalse(QuorumPlanner.consistent(new Key(0, set("b")), new Names(1, set("c"))));
        assertFalse(QuorumPlanner.consistent(new Key(0, set("b")), Names.NONE), "asynchronous: no voter may promote");
        assertTrue(QuorumPlanner.consistent(new Key(1, set("b", "c")), new Names(1, set("b"))));
    }

    @Test
    void unsafeNamesAreQuoted() {
        assertEquals("ANY 1 (\"a\"\"b\",\"x, FIRST 2 (y\")", new Names(1, set("a\"b", "x, FIRST 2 (y")).render(false));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Names(2, set("a")));
    }

    @Test
    void confirmationNeedsKStandbysAtTheSafePosition() {
        Names n = new Names(1, set("b", "c"));
        List<PgStatus.Replica> rows = List.of(SyncPlannerTest.row("b", "streaming", "quorum", 90),
                SyncPlannerTest.row("c", "streaming", "quorum", 100));
        assertFalse(QuorumPlanner.confirmed(n, rows, -1, false), "no safe position taken yet");
        assertTrue(QuorumPlanner.confirmed(n, rows, 100, false));
        assertFalse(QuorumPlanner.confirmed(new Names(2, set("b", "c")), rows, 100, false));
        assertTrue(QuorumPlanner.confirmed(Names.NONE, List.of(), -1, false));
    }

    @Test
    void theNamesAreInEffectOnceTheWalsendersShowThem() {
        Names n = new Names(1, set("b", "c"));
        assertTrue(QuorumPlanner.inEffect(n, List.of(SyncPlannerTest.row("b", "streaming", "quorum", 1),
                SyncPlannerTest.row("c", "catchup", "async", 1), SyncPlannerTest.row("d", "streaming", "async", 1))));
        assertFalse(QuorumPlanner.inEffect(n, List.of(SyncPlannerTest.row("b", "streaming", "async", 1))),
                "b is not yet a quorum standby: the old value still rules");
        assertFalse(QuorumPlanner.inEffect(new Names(1, set("b")), List.of(SyncPlannerTest.row("b", "streaming", "quorum", 1),
                SyncPlannerTest.row("c", "streaming", "quorum", 1))), "c is still counted");
        assertFalse(QuorumPlanner.inEffect(n, List.of(SyncPlannerTest.row("b", "streaming", "sync", 1))));
    }

    @Test
    void anotherLeadersKeyIsUnknown() {
        assertNull(Key.of(new SyncState("x", Set.of("b"), 3, 0), "a"));
        assertEquals(new Key(1, set("b", "c")), Key.of(new SyncState("a", Set.of("b", "c"), 3, 1), "a"));
        assertEquals(Set.of("b", "c"), QuorumPlanner.active("a", List.of(
                SyncPlannerTest.row("b", "streaming", "quorum", 1), SyncPlannerTest.row("c", "streaming", "async", 1),
                SyncPlannerTest.row("d", "streaming", "async", 1), SyncPlannerTest.row("e", "catchup", "async", 1),
                SyncPlannerTest.row("a", "streaming", "async", 1)),
                SyncPlannerTest.members("a", "b", "c", "d!", "e")));
    }
}
