package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.SyncState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Quorum-aware failover: who may promote, exhaustively over small clusters. */
class QuorumFailoverTest {

    static Candidacy.Peer peer(String name, boolean reachable, long wal) {
        return new Candidacy.Peer(name, reachable, true, wal, 1, false, 0);
    }

    @Test
    void sentences() {
        SyncState key = new SyncState("a", Set.of("b", "c"), 7, 1);
        assertTrue(QuorumFailover.check("b", 10, key, List.of(peer("c", true, 10))).healthiest());
        Candidacy.Verdict alone = QuorumFailover.check("b", 10, key, List.of(peer("c", false, 5)));
        assertFalse(alone.healthiest());
        assertEquals("quorum commit: I see 0 of the 1 other voters I need to prove I hold every acknowledged commit",
                alone.reason());
        assertFalse(QuorumFailover.check("b", 10, key, List.of(peer("c", true, 11))).healthiest(), "c is ahead");
        assertFalse(QuorumFailover.check("d", 99, key, List.of(peer("b", true, 1), peer("c", true, 1))).healthiest(),
                "not a voter");
        assertTrue(QuorumFailover.check("a", 0, key, List.of()).healthiest(), "the former leader");
        assertFalse(QuorumFailover.check("b", 10, SyncState.absent(), List.of()).healthiest());
        SyncState one = new SyncState("a", Set.of("b"), 7, 0);
        assertTrue(QuorumFailover.check("b", 10, one, List.of()).healthiest(), "quorum 0: the only voter");
        SyncState none = new SyncState("a", Set.of(), 7, 0);
        assertFalse(QuorumFailover.check("b", 10, none, List.of(peer("a", false, 0))).healthiest(), "no voters");
        // The former leader reachable as a replica is no voter and gives no vote.
        assertFalse(QuorumFailover.check("b", 10, key, List.of(peer("a", true, 3), peer("c", false, 3))).healthiest());
    }

    /**
     * For every voter set of up to 5, every k and quorum with |V| <= q + k, every placement of the
     * last acknowledged commit on k voters, every candidate and every set of reachable peers: a
     * candidate that passes (and sees no reachable voter ahead, {@link Candidacy}'s rule) holds the
     * commit. And with everyone reachable the most advanced voter passes (when q < |V|).
     */
    @Test
    void aPassingCandidateHoldsEveryAcknowledgedCommitExhaustively() {
        int checked = 0;
        for (int n = 1; n <= 5; n++) {
            List<String> voters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                voters.add("m" + i);
            }
            for (int k = 1; k <= n; k++) {
                for (int q = Math.max(0, n - k); q < n; q++) {
                    SyncState key = new SyncState("old", new TreeSet<>(voters), 1, q);
                    // positions: 0 (behind) or 1 (holds the last acknowledged commit); at least k hold it.
                    for (int holders = 0; holders < (1 << n); holders++) {
                        if (Integer.bitCount(holders) < k) {
                            continue;
                        }
                        for (int c = 0; c < n; c++) {
                            for (int reach = 0; reach < (1 << n); reach++) {
                                List<Candidacy.Peer> peers = new ArrayList<>();
                                boolean aheadReachable = false;
                                long myWal = (holders >> c & 1);
                                for (int i = 0; i < n; i++) {
                                    if (i == c) {
                                        continue;
                                    }
                                    boolean r = (reach >> i & 1) == 1;
                                    long wal = holders >> i & 1;
                                    peers.add(peer(voters.get(i), r, wal));
                                    aheadReachable |= r && wal > myWal;
                                }
                                Candidacy.Verdict v = QuorumFailover.check(voters.get(c), myWal, key, peers);
                                if (v.healthiest() && !aheadReachable) {
                                    assertEquals(1, myWal, "n=" + n + " k=" + k + " q=" + q + " holders=" + holders
                                            + " c=" + c + " reach=" + reach + ": " + v.reason());
                                }
                                boolean allReachable = (reach | (1 << c)) == (1 << n) - 1;
                                if (allReachable && myWal == 1) {
                                    assertTrue(v.healthiest(), v.reason());
                                }
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 10_000, "checked " + checked);
    }
}
