package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.OperatorPolicy.RestartRequest;
import dev.baton.agent.ha.OperatorPolicy.RoleFilter;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: a restart scheduled on the REST API runs when its time comes, or not at all. */
class HaLoopScheduledRestartTest {
    private static final RestartRequest ANY = new RestartRequest(RoleFilter.ANY, false, null, null);

    private static OffsetDateTime in(LoopHarness h, long seconds) {
        return OffsetDateTime.ofInstant(h.clock.instant().plusSeconds(seconds), ZoneOffset.ofHours(2));
    }

    @Test
    void theLeaderRestartsWhenTheTimeComesAndKeepsTheKey() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        OperatorPolicy.Result r = h.operator().schedule(ANY, in(h, 30));
        assertEquals(new OperatorPolicy.Result(202, "Restart scheduled"), r);
        assertEquals(409, h.operator().schedule(ANY, in(h, 60)).status(), "one at a time");

        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertNotNull(h.myKey().scheduledRestart(), "the member key shows it");
        assertEquals(in(h, 30).format(java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx")),
                h.myKey().scheduledRestart().get("schedule"));
        assertEquals("2026-12-01T00:00:00+00:00", h.myKey().scheduledRestart().get("postmaster_start_time"));
        assertNotNull(h.state().scheduledRestart(), "/patroni shows it");
        assertNull(h.state().scheduledRestart().get("postmaster_start_time"));
        for (int i = 0; i < 29; i++) {
            h.advanceSeconds(1);
            assertEquals("no action: I am the leader with the lock", h.cycle());
            assertEquals(0, h.runActions(), "not yet");
        }
        h.advanceSeconds(1);
        assertTrue(h.cycle().startsWith("restart initiated: scheduled at "), h.loop.lastSentence());
        assertEquals(1, h.runActions());
        assertEquals(List.of("stop FAST", "configure primary", "start"), h.calls());
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertNull(h.myKey().scheduledRestart(), "done: gone from the member key");
        assertNull(h.state().scheduledRestart());
        assertEquals(LoopHarness.ME, h.leader());
    }

    @Test
    void conditionsThatDoNotHoldWhenDueSkipIt() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        assertEquals(202, h.operator().schedule(new RestartRequest(RoleFilter.REPLICA, false, null, null),
                in(h, 5)).status());
        h.advanceSeconds(6);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(0, h.runActions(), "a primary is not restarted by a replica-only schedule");
        assertTrue(h.operator().scheduled().isEmpty(), "dropped");
    }

    @Test
    void aDeletedScheduleDoesNotRun() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        assertEquals(202, h.operator().schedule(ANY, in(h, 5)).status());
        assertEquals(new OperatorPolicy.Result(200, "scheduled restart deleted"), h.operator().deleteScheduled());
        assertEquals(new OperatorPolicy.Result(404, "no restarts are scheduled"), h.operator().deleteScheduled());
        h.advanceSeconds(6);
        h.cycle();
        assertEquals(0, h.runActions());
        assertNull(h.myKey().scheduledRestart());
    }

    @Test
    void aTimeInThePastIsRefused() {
        LoopHarness h = HaLoopLeaderTest.leading();
        assertEquals(new OperatorPolicy.Result(422, "Cannot schedule restart in the past"),
                h.operator().schedule(ANY, in(h, -1)));
        assertTrue(h.operator().scheduled().isEmpty());
    }

    @Test
    void aRestartNowChecksThePostgresVersion() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        OperatorPolicy.Result r = h.operatorNow().restart(new RestartRequest(RoleFilter.ANY, false, "15.0", null),
                java.time.Duration.ofSeconds(5));
        assertEquals(new OperatorPolicy.Result(412, "restart conditions are not satisfied: PostgreSQL 15.0 is not older "
                + "than 15.0"), r);
        OperatorPolicy.Result ok = h.operatorNow().restart(new RestartRequest(RoleFilter.ANY, false, "15.1", 30),
                java.time.Duration.ofSeconds(5));
        assertEquals(200, ok.status(), ok.message());
        assertEquals(List.of("stop FAST", "configure primary", "start"), h.calls());
    }
}
