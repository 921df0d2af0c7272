package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cron: crontab(5)'s grammar in UTC and the latest schedule point at or before a time. */
class CronTest {
    private static ZonedDateTime t(String iso) {
        return ZonedDateTime.parse(iso).withZoneSameInstant(ZoneOffset.UTC);
    }

    @ParameterizedTest(name = "{0} at {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // Sunday 2026-12-06 03:00 is a full-backup point; Thursday 2026-12-03 is not.
        "0 3 * * 0      | 2026-12-03T10:00:00Z | 2026-11-29T03:00Z",
        "0 3 * * 0      | 2026-12-06T03:00:00Z | 2026-12-06T03:00Z",
        "0 3 * * 0      | 2026-12-06T02:59:59Z | 2026-11-29T03:00Z",
        "0 3 * * 1-6    | 2026-12-06T12:00:00Z | 2026-12-05T03:00Z",
        "0 3 * * 1-6    | 2026-12-07T03:00:30Z | 2026-12-07T03:00Z",
        "*/15 * * * *   | 2026-12-03T10:44:59Z | 2026-12-03T10:30Z",
        "0,30 9-17 * * mon-fri | 2026-12-05T08:00:00Z | 2026-12-04T17:30Z",
        "0 0 1 jan *    | 2026-12-03T00:00:00Z | 2026-01-01T00:00Z",
        "0 0 29 2 *     | 2026-12-03T00:00:00Z | 2024-02-29T00:00Z",
        "0 3 * * 7      | 2026-12-06T04:00:00Z | 2026-12-06T03:00Z",
        "5 4 1 * 1      | 2026-12-03T00:00:00Z | 2026-12-01T04:05Z",
        "0 12 * * *     | 2026-12-03T13:00:00+02:00 | 2026-12-02T12:00Z",
    })
    void latestAtOrBefore(String expr, String now, String expected) {
        assertEquals(java.time.Instant.parse(expected.replace("Z", ":00Z")),
                Cron.parse(expr).latestAtOrBefore(t(now)).toInstant());
    }

    @Test
    void aScheduleThatNeverFiresHasNoPoint() {
        assertNull(Cron.parse("0 0 30 2 *").latestAtOrBefore(t("2026-12-03T00:00:00Z")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "0 3 * *          | must be a cron expression of five fields (minute hour day-of-month month day-of-week), got 4 fields",
        "60 3 * * *       | minute field: value 60 is outside 0-59",
        "0 24 * * *       | hour field: value 24 is outside 0-23",
        "0 3 0 * *        | day of month field: value 0 is outside 1-31",
        "0 3 * 13 *       | month field: value 13 is outside 1-12",
        "0 3 * * 8        | day of week field: value 8 is outside 0-7",
        "0 3 * * sunday   | day of week field: value \"sunday\" is not a number or a name",
        "*/0 3 * * *      | minute field: step must be at least 1 in \"*/0\"",
        "5-1 3 * * *      | minute field: range \"5-1\" runs backwards",
        "@daily           | must be a cron expression of five fields (minute hour day-of-month month day-of-week), got 1 field",
    })
    void refused(String expr, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> Cron.parse(expr)).getMessage());
    }

    @Test
    void bothDayFieldsRestrictedMeansEither() {
        Cron c = Cron.parse("0 0 1 * mon");
        assertTrue(c.matches(t("2026-12-01T00:00:00Z"))); // a Tuesday, the 1st
        assertTrue(c.matches(t("2026-12-07T00:00:00Z"))); // a Monday
        assertFalse(c.matches(t("2026-12-08T00:00:00Z")));
    }

    @Property(tries = 300)
    void theLatestPointMatchesAndNothingLaterDoes(@ForAll @IntRange(min = 0, max = 59) int minute,
                                                  @ForAll @IntRange(min = 0, max = 23) int hour,
                                                  @ForAll @IntRange(min = 0, max = 6) int dow,
                                                  @ForAll @IntRange(min = 0, max = 100_000) int minutesAgo) {
        Cron c = Cron.parse(minute + " " + hour + " * * " + dow);
        ZonedDateTime now = t("2026-12-03T10:17:42Z").minusMinutes(minutesAgo);
        ZonedDateTime p = c.latestAtOrBefore(now);
        assertTrue(c.matches(p));
        assertFalse(p.isAfter(now));
        for (ZonedDateTime m = p.plusMinutes(1); !m.isAfter(now); m = m.plusMinutes(1)) {
            assertFalse(c.matches(m), "later match " + m);
        }
    }
}
