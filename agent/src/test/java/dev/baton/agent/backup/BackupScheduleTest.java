package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.backup.BackupSchedule.Claims;
import dev.baton.agent.backup.BackupSchedule.Due;
import dev.baton.config.BackupConfig.Schedule;
import dev.baton.config.Cron;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which scheduled backup is due: pure, table-like. */
class BackupScheduleTest {
    /** Full on Sundays at 03:00, diff on the other days at 03:00, incr every hour at :30. */
    static final Schedule WEEKLY = new Schedule(Cron.parse("0 3 * * 0"), Cron.parse("0 3 * * 1-6"),
            Cron.parse("30 * * * *"));

    static Instant t(String iso) {
        return Instant.parse(iso);
    }

    static Claims claims(String full, String diff, String incr) {
        Map<BackupType, Instant> m = new java.util.EnumMap<>(BackupType.class);
        if (full != null) {
            m.put(BackupType.FULL, t(full));
        }
        if (diff != null) {
            m.put(BackupType.DIFF, t(diff));
        }
        if (incr != null) {
            m.put(BackupType.INCR, t(incr));
        }
        return new Claims(m);
    }

    // 2026-12-06 is a Sunday.
    static final Claims STEADY = claims("2026-11-29T03:00:00Z", "2026-12-05T03:00:00Z", "2026-12-06T02:30:00Z");

    @Test
    void nothingIsDueBetweenPoints() {
        assertEquals(Optional.empty(), BackupSchedule.due(WEEKLY, t("2026-12-06T02:45:00Z"), STEADY));
    }

    @Test
    void aFullPointRunsAFull() {
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-06T03:00:20Z"), STEADY).orElseThrow();
        assertEquals(BackupType.FULL, d.run());
        assertEquals(t("2026-12-06T03:00:00Z"), d.point());
        assertEquals(t("2026-12-06T03:00:00Z"), d.claims().get(BackupType.FULL));
        assertEquals(t("2026-12-05T03:00:00Z"), d.claims().get(BackupType.DIFF), "diff's latest point was claimed already");
    }

    @Test
    void aDiffPointRunsADiffAndCoversAPendingIncr() {
        Claims c = claims("2026-12-06T03:00:00Z", "2026-12-06T03:00:00Z", "2026-12-07T02:30:00Z");
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-07T03:00:00Z"), c).orElseThrow();
        assertEquals(BackupType.DIFF, d.run());
        assertEquals(t("2026-12-07T03:00:00Z"), d.point());
    }

    @Test
    void whenAFullAndADiffPointCoincideOnlyTheFullRuns() {
        Schedule both = new Schedule(Cron.parse("0 3 1 * *"), Cron.parse("0 3 * * *"), null);
        Claims c = claims("2026-11-01T03:00:00Z", "2026-11-30T03:00:00Z", null);
        Due d = BackupSchedule.due(both, t("2026-12-01T03:00:00Z"), c).orElseThrow();
        assertEquals(BackupType.FULL, d.run());
        assertEquals(t("2026-12-01T03:00:00Z"), d.claims().get(BackupType.FULL));
        assertEquals(t("2026-12-01T03:00:00Z"), d.claims().get(BackupType.DIFF), "the diff point is claimed with it");
        assertEquals(Optional.empty(), BackupSchedule.due(both, t("2026-12-01T03:05:00Z"), d.claims()),
                "and never runs afterwards");
    }

    @Test
    void allThreeCoinciding() {
        Schedule all = new Schedule(Cron.parse("0 0 * * *"), Cron.parse("0 0 * * *"), Cron.parse("0 * * * *"));
        Claims c = claims("2026-12-05T00:00:00Z", "2026-12-05T00:00:00Z", "2026-12-05T23:00:00Z");
        Due d = BackupSchedule.due(all, t("2026-12-06T00:00:00Z"), c).orElseThrow();
        assertEquals(BackupType.FULL, d.run());
        assertEquals(claims("2026-12-06T00:00:00Z", "2026-12-06T00:00:00Z", "2026-12-06T00:00:00Z"), d.claims());
    }

    @Test
    void aPointAtOrBeforeTheClaimedOneNeverRunsAgain() {
        Claims future = claims("2026-12-13T03:00:00Z", "2026-12-13T03:00:00Z", "2026-12-13T03:30:00Z");
        assertEquals(Optional.empty(), BackupSchedule.due(WEEKLY, t("2026-12-06T03:00:00Z"), future),
                "claims from later (a leader with a clock ahead) are not re-run");
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-06T03:00:00Z"), STEADY).orElseThrow();
        assertEquals(Optional.empty(), BackupSchedule.due(WEEKLY, t("2026-12-06T03:00:59Z"), d.claims()));
    }

    @Test
    void aMissedPointOfAClaimedTypeRunsLateOnce() {
        // No leader from Saturday 23:00 to Sunday 09:10: the full of 03:00 runs at 09:10, the incrs are covered.
        Claims c = claims("2026-11-29T03:00:00Z", "2026-12-05T03:00:00Z", "2026-12-05T22:30:00Z");
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-06T09:10:00Z"), c).orElseThrow();
        assertEquals(BackupType.FULL, d.run());
        assertEquals(t("2026-12-06T03:00:00Z"), d.point());
        assertEquals(t("2026-12-06T08:30:00Z"), d.claims().get(BackupType.INCR), "the pending incr is covered by the full");
        assertEquals(Optional.empty(), BackupSchedule.due(WEEKLY, t("2026-12-06T09:11:00Z"), d.claims()));
    }

    @Test
    void aSmallerTypeDoesNotCoverABiggerOne() {
        Claims c = claims("2026-11-29T03:00:00Z", "2026-12-04T03:00:00Z", "2026-12-05T03:30:00Z");
        // Saturday 03:30: the diff of 03:00 was missed, the incr of 03:30 is due too: the diff runs.
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-05T03:30:00Z"), c).orElseThrow();
        assertEquals(BackupType.DIFF, d.run());
    }

    @Test
    void firstLeadershipRunsAPointOnlyWithinAnHour() {
        Schedule daily = new Schedule(Cron.parse("0 3 * * *"), null, null);
        Due recent = BackupSchedule.due(daily, t("2026-12-06T03:59:59Z"), Claims.NONE).orElseThrow();
        assertEquals(BackupType.FULL, recent.run(), "never claimed, 59 min old: runs");
        Due old = BackupSchedule.due(daily, t("2026-12-06T04:00:01Z"), Claims.NONE).orElseThrow();
        assertNull(old.run(), "never claimed, more than an hour old: only recorded");
        assertEquals(t("2026-12-06T03:00:00Z"), old.claims().get(BackupType.FULL));
        assertEquals(Optional.empty(), BackupSchedule.due(daily, t("2026-12-06T05:00:00Z"), old.claims()));
        Due next = BackupSchedule.due(daily, t("2026-12-07T03:00:00Z"), old.claims()).orElseThrow();
        assertEquals(BackupType.FULL, next.run(), "the next point runs");
    }

    @Test
    void firstLeadershipRecordsOldBiggerPointsAndRunsARecentSmallerOne() {
        Due d = BackupSchedule.due(WEEKLY, t("2026-12-08T10:40:00Z"), Claims.NONE).orElseThrow();
        assertEquals(BackupType.INCR, d.run(), "the full (Sunday) and the diff (03:00) are old, the incr (10:30) recent");
        assertEquals(claims("2026-12-06T03:00:00Z", "2026-12-08T03:00:00Z", "2026-12-08T10:30:00Z"), d.claims());
    }

    @Test
    void anEmptyScheduleOrACronWithoutPointsIsNeverDue() {
        assertEquals(Optional.empty(), BackupSchedule.due(Schedule.NONE, t("2026-12-06T03:00:00Z"), Claims.NONE));
        Schedule never = new Schedule(Cron.parse("0 0 30 2 *"), null, null);
        assertEquals(Optional.empty(), BackupSchedule.due(never, t("2026-12-06T03:00:00Z"), Claims.NONE));
    }

    @Test
    void claimsRoundTripThroughTheKey() {
        Claims c = claims("2026-12-06T03:00:00Z", null, "2026-12-06T03:30:00Z");
        assertEquals("{\"full\":\"2026-12-06T03:00:00Z\",\"incr\":\"2026-12-06T03:30:00Z\"}", c.toJson());
        assertEquals(c, Claims.parse(c.toJson()));
        assertEquals(Claims.NONE, Claims.parse(null));
        assertEquals(Claims.NONE, Claims.parse("{}"));
        assertEquals(claims("2026-12-06T03:00:00Z", null, null),
                Claims.parse("{\"full\":\"2026-12-06T03:00:00Z\",\"diff\":null,\"other\":[1,2]}"), "unknown fields ignored");
    }

    @Test
    void garbageInTheKeyIsRefusedWithAPrintableMessage() {
        for (String bad : new String[] {"not json", "[1]", "\"x\"", "{\"full\":3}", "{\"full\":\"yesterday\"}",
            "{\"full\":\"\u0007\u001b[31m\"}", "[".repeat(5000)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Claims.parse(bad), bad);
            assertTrue(e.getMessage().chars().noneMatch(ch -> ch < 0x20), e.getMessage());
            assertTrue(e.getMessage().length() < 300, e.getMessage());
        }
    }
}
