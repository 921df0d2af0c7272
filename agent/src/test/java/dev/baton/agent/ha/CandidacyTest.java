package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.Candidacy.Peer;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandidacyTest {
    static final long MB = 1 << 20;

    static Peer peer(String name, long wal) {
        return new Peer(name, true, true, wal, 1, false, 1);
    }

    @Test
    void aloneAndUpToDate() {
        assertTrue(Candidacy.evaluate("a", 100, 1, 1, MB, 100, List.of()).healthiest());
    }

    @Test
    void tooFarBehindTheLastLeaderPosition() {
        var v = Candidacy.evaluate("a", 100, 1, 1, MB, 100 + 2 * MB, List.of());
        assertEquals(false, v.healthiest());
        assertTrue(v.reason().contains("maximum_lag_on_failover"), v.reason());
    }

    @Test
    void withinTheLagLimit() {
        assertTrue(Candidacy.evaluate("a", 100, 1, 1, MB, 100 + MB, List.of()).healthiest());
    }

    @Test
    void aPeerAheadWins() {
        var v = Candidacy.evaluate("a", 100, 1, 1, MB, 0, List.of(peer("b", 200)));
        assertEquals(false, v.healthiest());
        assertTrue(v.reason().contains("b is ahead"), v.reason());
    }

    @Test
    void aRunningPrimaryVetoes() {
        var v = Candidacy.evaluate("a", 300, 1, 1, MB, 0, List.of(new Peer("b", true, false, 200, 1, false, 1)));
        assertEquals(false, v.healthiest());
        assertTrue(v.reason().contains("still running as a primary"), v.reason());
    }

    @Test
    void anUnreachablePeerCountsWithItsPublishedPosition() {
        var v = Candidacy.evaluate("a", 100, 1, 1, MB, 0, List.of(new Peer("b", false, true, 200, 1, false, 1)));
        assertEquals(false, v.healthiest());
        assertTrue(v.reason().contains("last published position"), v.reason());
    }

    @Test
    void anUnreachableFormerPrimaryDoesNotVeto() {
        // Unreachable peers are not asked whether they are primary: only what they published counts.
        assertTrue(Candidacy.evaluate("a", 300, 1, 1, MB, 0,
                List.of(new Peer("b", false, false, 200, 1, false, 1))).healthiest());
    }

    @Test
    void aNofailoverPeerAheadDoesNotBlock() {
        assertTrue(Candidacy.evaluate("a", 100, 1, 1, MB, 0,
                List.of(new Peer("b", true, true, 200, 1, true, 1))).healthiest());
    }

    @Test
    void tiesGoToTheHigherPriorityThenTheEarlierName() {
        assertEquals(false, Candidacy.evaluate("b", 100, 1, 1, MB, 0, List.of(peer("a", 100))).healthiest());
        assertTrue(Candidacy.evaluate("a", 100, 1, 1, MB, 0, List.of(peer("b", 100))).healthiest());
        assertTrue(Candidacy.evaluate("b", 100, 1, 2, MB, 0, List.of(peer("a", 100))).healthiest());
    }

    @Test
    void aPeerOnANewerTimelineWins() {
        var v = Candidacy.evaluate("a", 500, 1, 1, MB, 0, List.of(new Peer("b", true, true, 100, 2, false, 1)));
        assertEquals(false, v.healthiest());
    }
}
