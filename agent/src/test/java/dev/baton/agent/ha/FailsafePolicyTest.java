package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailsafePolicyTest {
    static final long S = 1_000_000_000L;
    static final Map<String, String> KEY = Map.of("a", "http://a/patroni", "b", "http://b/patroni", "c", "http://c/patroni");

    @Test
    void theKeyIsReadOnlyWhenItIsAnObjectOfStrings() {
        assertEquals(KEY, FailsafePolicy.parse(FailsafePolicy.toJson(KEY)));
        assertNull(FailsafePolicy.parse(null));
        assertNull(FailsafePolicy.parse(""));
        assertNull(FailsafePolicy.parse("garbage"));
        assertNull(FailsafePolicy.parse("[\"a\"]"));
        assertNull(FailsafePolicy.parse("{\"a\": 1}"));
        assertEquals(Map.of(), FailsafePolicy.parse("{}"));
        assertEquals("{\"a\":\"http://a/patroni\",\"b\":\"http://b/patroni\",\"c\":\"http://c/patroni\"}",
                FailsafePolicy.toJson(KEY), "sorted, so an unchanged member list is never rewritten");
    }

    @Test
    void theLeaderWritesOnlyInFailsafeModeAndOnlyAChange() {
        assertTrue(FailsafePolicy.mustWrite(true, true, null, KEY));
        assertFalse(FailsafePolicy.mustWrite(true, true, KEY, KEY));
        assertFalse(FailsafePolicy.mustWrite(false, true, null, KEY));
        assertFalse(FailsafePolicy.mustWrite(true, false, null, KEY), "not a running primary");
        assertFalse(FailsafePolicy.mustWrite(true, true, null, Map.of()));
    }

    @Test
    void whoIsAsked() {
        assertEquals(Map.of("b", "http://b/patroni", "c", "http://c/patroni"), FailsafePolicy.peersToAsk(true, true, "a", KEY));
        assertEquals(Map.of(), FailsafePolicy.peersToAsk(true, true, "a", Map.of("a", "u")), "one member: no one");
        assertNull(FailsafePolicy.peersToAsk(false, true, "a", KEY), "failsafe_mode off");
        assertNull(FailsafePolicy.peersToAsk(true, false, "a", KEY), "not a primary");
        assertNull(FailsafePolicy.peersToAsk(true, true, "x", KEY), "not in the key: Patroni gives up at once");
        assertNull(FailsafePolicy.peersToAsk(true, true, "a", null), "key absent or garbage");
    }

    @Test
    void allMustAcceptNotAQuorum() {
        Map<String, String> ask = Map.of("b", "u", "c", "u");
        assertEquals(new FailsafePolicy.Round(true, FailsafePolicy.CONTINUE), FailsafePolicy.judge(ask,
                List.of(new FailsafePolicy.Answer("b", true, null), new FailsafePolicy.Answer("c", true, null))));
        assertEquals("demoting self because the cluster store is not accessible and failsafe mode could not reach "
                + "every member: c (HTTP 500: Running as a leader)", FailsafePolicy.judge(ask, List.of(
                new FailsafePolicy.Answer("b", true, null),
                new FailsafePolicy.Answer("c", false, "HTTP 500: Running as a leader"))).sentence());
        assertFalse(FailsafePolicy.judge(ask, List.of(new FailsafePolicy.Answer("b", true, null))).keep(), "no answer");
        assertTrue(FailsafePolicy.judge(Map.of(), List.of()).keep(), "a one-member key");
    }

    @Test
    void theHoldEndsBeforeAnyAcceptingReplicaMayRace() {
        long t0 = 100 * S;
        long hold = FailsafePolicy.holdUntil(t0, 10);
        assertEquals(t0 + 8 * S, hold);
        // A replica that accepted at or after t0 races at the earliest ttl later.
        FailsafeState.Ack ack = new FailsafeState.Ack("a", null, null, Map.of(), t0);
        assertTrue(ack.activeAt(hold, 10));
        assertTrue(ack.activeAt(t0 + 10 * S - 1, 10));
        assertFalse(ack.activeAt(t0 + 10 * S, 10));
        assertEquals(t0 + 24 * S, FailsafePolicy.holdUntil(t0, 30), "margin: a fifth of the ttl");
    }

    @Test
    void theCallTimeoutFitsTheOutageCycleInTheHold() {
        assertEquals(2000, FailsafePolicy.callTimeoutMillis(10, 1, 3), "Patroni's 2 s");
        assertEquals(2000, FailsafePolicy.callTimeoutMillis(30, 10, 10), "Patroni's defaults");
        assertEquals(750, FailsafePolicy.callTimeoutMillis(10, 4, 3), "8 s hold - (4 s + 3 s) - 0.25 s");
        assertEquals(500, FailsafePolicy.callTimeoutMillis(10, 6, 2), "never below half a second");
    }

    @Test
    void whoMayNotRace() {
        long now = 50 * S;
        FailsafeState.Ack recent = new FailsafeState.Ack("a", null, null, Map.of(), now - 3 * S);
        assertTrue(FailsafePolicy.raceVeto(true, KEY, "b", recent, now, 10).startsWith(
                "no action: the cluster has no leader, but a confirmed it runs as the primary by POST /failsafe 3.0 s ago"));
        assertTrue(FailsafePolicy.raceVeto(false, null, "b", recent, now, 10) != null,
                "an acknowledged primary blocks even after failsafe_mode was turned off");
        assertNull(FailsafePolicy.raceVeto(true, KEY, "b", recent, now + 8 * S, 10), "ttl passed");
        assertEquals("no action: the cluster has no leader and I am not in the failsafe key (failsafe mode: only a, b, c "
                + "may take over)", FailsafePolicy.raceVeto(true, KEY, "new", null, now, 10));
        assertNull(FailsafePolicy.raceVeto(false, KEY, "new", null, now, 10), "failsafe_mode off");
        assertNull(FailsafePolicy.raceVeto(true, null, "new", null, now, 10), "garbage key: ignored, as Patroni");
        assertNull(FailsafePolicy.raceVeto(true, KEY, "b", null, now, 10));
    }
}
