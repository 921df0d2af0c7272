package dev.baton.agent.metrics;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/** Parses PostgreSQL's {@code timestamptz::text} (DateStyle ISO), e.g. {@code 2025-06-01 12:34:56.789012+00}. */
final class PgTime {
    private static final DateTimeFormatter PG = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendOffset("+HH:mm:ss", "+00")
            .toFormatter();
    private static final DateTimeFormatter PG_SHORT_OFFSET = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendOffset("+HH", "+00")
            .toFormatter();

    private PgTime() {
    }

    /** Seconds since the epoch, or NaN when {@code text} is null or not a timestamp. */
    static double epochSeconds(String text) {
        if (text == null || text.isBlank()) {
            return Double.NaN;
        }
        String t = text.trim().replace('T', ' ');
        for (DateTimeFormatter f : new DateTimeFormatter[] {PG, PG_SHORT_OFFSET, DateTimeFormatter.ISO_OFFSET_DATE_TIME}) {
            try {
                OffsetDateTime odt = OffsetDateTime.parse(f == DateTimeFormatter.ISO_OFFSET_DATE_TIME ? t.replace(' ', 'T') : t, f);
                return odt.toEpochSecond() + odt.getNano() / 1e9;
            } catch (DateTimeParseException e) {
                // try the next form
            }
        }
        return Double.NaN;
    }
}
