package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.OperatorPolicy.RestartRequest;
import dev.baton.agent.ha.OperatorPolicy.RoleFilter;
import dev.baton.agent.ha.ScheduledRestart.Verdict;
import dev.baton.agent.postgres.PgStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a scheduled restart is due, and whether its conditions hold then (pure). */
class ScheduledRestartTest {
    private static final OffsetDateTime AT = OffsetDateTime.parse("2026-12-01T12:00:00+01:00");
    private static final String STARTED = "2026-12-01T00:00:00+00:00";

    private static PgStatus pg(boolean replica, int version, boolean pending, String started) {
        return new PgStatus(true, replica, 1, replica ? 0 : 100, replica ? 100 : 0, replica ? 100 : 0, null, false,
                replica, null, 0, started, version, List.of(), pending);
    }

    private static final PgStatus PRIMARY_16_4 = pg(false, 160004, false, STARTED);

    private static ScheduledRestart at(RestartRequest req) {
        return new ScheduledRestart(AT, req, STARTED);
    }

    private static final ScheduledRestart ANY = at(new RestartRequest(RoleFilter.ANY, false, null, null));

    private static Verdict evaluate(ScheduledRestart r, long secondsAfter, PgStatus st) {
        return ScheduledRestart.evaluate(r, AT.toInstant().plusSeconds(secondsAfter), 10, false, st);
    }

    @Test
    void waitsUntilItsTimeThenRuns() {
        Verdict early = evaluate(ANY, -5, PRIMARY_16_4);
        assertEquals(new Verdict.Wait(Duration.ofSeconds(5)), early);
        assertInstanceOf(Verdict.Run.class, evaluate(ANY, 0, PRIMARY_16_4));
        assertInstanceOf(Verdict.Run.class, evaluate(ANY, 15, PRIMARY_16_4), "up to 1.5 x loop_wait late");
    }

    @Test
    void moreThanOneAndAHalfLoopWaitLateIsStale() {
        Verdict v = evaluate(ANY, 16, PRIMARY_16_4);
        assertEquals(new Verdict.Drop("it is stale: it was due at " + AT), v);
    }

    @Test
    void pausedItWaitsEvenWhenDue() {
        assertInstanceOf(Verdict.Wait.class, ScheduledRestart.evaluate(ANY, AT.toInstant().plusSeconds(1), 10, true,
                PRIMARY_16_4));
    }

    @Test
    void theConditionsAreCheckedWhenItIsDue() {
        assertEquals(new Verdict.Drop("restart conditions are not satisfied: this member is primary, not replica"),
                evaluate(at(new RestartRequest(RoleFilter.REPLICA, false, null, null)), 1, PRIMARY_16_4));
        assertEquals(new Verdict.Drop("restart conditions are not satisfied: PostgreSQL 16.4 is not older than 16.4"),
                evaluate(at(new RestartRequest(RoleFilter.ANY, false, "16.4", null)), 1, PRIMARY_16_4));
        assertEquals(new Verdict.Drop("restart conditions are not satisfied: no restart is pending"),
                evaluate(at(new RestartRequest(RoleFilter.ANY, true, null, null)), 1, PRIMARY_16_4));
        assertInstanceOf(Verdict.Run.class, evaluate(at(new RestartRequest(RoleFilter.PRIMARY, true, "16.5", null)), 1,
                pg(false, 160004, true, STARTED)));
        assertInstanceOf(Verdict.Run.class, evaluate(at(new RestartRequest(RoleFilter.ANY, false, "9.6.24", null)), 1,
                pg(true, 90623, false, STARTED)));
    }

    @Test
    void aPostgresRestartedMeanwhileDropsIt() {
        Verdict v = evaluate(ANY, -100, pg(false, 160004, false, "2026-12-01T11:00:00+00:00"));
        assertEquals(new Verdict.Drop("postgres restart has already happened at 2026-12-01T11:00:00+00:00"), v);
    }

    @Test
    void notRunningWhenDueItIsDropped() {
        assertInstanceOf(Verdict.Drop.class, evaluate(new ScheduledRestart(AT, ANY.request(), null), 1,
                PgStatus.stopped()));
    }

    @Test
    void describedInPatronisShape() {
        ScheduledRestart r = at(new RestartRequest(RoleFilter.PRIMARY, true, "16.5", 30));
        assertEquals(Map.of("schedule", "2026-12-01T12:00:00+01:00", "restart_pending", true, "role", "primary",
                "postgres_version", "16.5", "timeout", 30), r.describe(false));
        assertEquals(STARTED, r.describe(true).get("postmaster_start_time"), "the member key keeps the start time");
        assertFalse(ANY.describe(false).containsKey("role"));
    }

    @Test
    void postgresVersionsAsPatroniReadsThem() {
        assertEquals(160004, OperatorPolicy.postgresVersionNumber("16.4").getAsInt());
        assertEquals(90624, OperatorPolicy.postgresVersionNumber("9.6.24").getAsInt());
        for (String bad : new String[] {"16", "9.6", "16.4.1", "a.b", "", "16.", "1e2.1", "100.1", " 16.4"}) {
            assertTrue(OperatorPolicy.postgresVersionNumber(bad).isEmpty(), bad);
        }
    }
}
