package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.OffsetDateTime;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The values read and written as Patroni does: its parse_int(value, 'B'), tag comparison, times. */
class PatroniFormatsTest {

    /** Each row: the lag parameter and what Patroni 3.0.2's parse_int(value, 'B') returns for it. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0|0", "1048576|1048576", "16MB|16777216", "1GB|1073741824", "1TB|1099511627776", "512kB|524288",
            "7B|7", "' 10 MB '|10485760", "0x10|16", "0x10kB|16384", "-0x10|-16", "010|8", "+5|5", "-5|-5",
            "1.5MB|1572864", ".5MB|524288", "0.5|0", "1.5|2", "2.5|2", "1e3|1000", "1.0000001kB|1024",
            "99999999999999999999|9223372036854775807", "-99999999999999999999|-9223372036854775808",
            "9999999999999TB|9223372036854775807", "1e999999|9223372036854775807"})
    void sizesAsPatroniParsesThem(String value, long bytes) {
        assertEquals(OptionalLong.of(bytes), PatroniFormats.bytes(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "lots", "10XB", "10mb", "10 M B", "08", "0x", "+.5", "e5", "1 0", "MB", "\u0000",
            "1ms", "--1"})
    void notASize(String value) {
        assertEquals(OptionalLong.empty(), PatroniFormats.bytes(value), value);
    }

    @Test
    void surroundingWhitespaceIsIgnoredAsPythonStripsIt() {
        assertEquals(OptionalLong.of(1), PatroniFormats.bytes("1\r\n"));
        assertEquals(OptionalLong.of(2048), PatroniFormats.bytes("\t2kB "));
    }

    @Test
    void aVeryLongValueIsNoSize() {
        assertEquals(OptionalLong.empty(), PatroniFormats.bytes("1".repeat(10_000)));
        assertEquals(OptionalLong.empty(), PatroniFormats.bytes(null));
    }

    @Test
    void tagsCompareTextExactlyAndOtherValuesAsLowerCaseText() {
        assertEquals(true, PatroniFormats.tagMatches("eu-1a", "eu-1a"));
        assertEquals(false, PatroniFormats.tagMatches("eu-1a", "EU-1A"));
        assertEquals(true, PatroniFormats.tagMatches(true, "true"));
        assertEquals(false, PatroniFormats.tagMatches(true, "True"));
        assertEquals(true, PatroniFormats.tagMatches(3, "3"));
        assertEquals(false, PatroniFormats.tagMatches(null, "x"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2025-06-01 12:00:01.123+00|2025-06-01 12:00:01.123000+00:00",
            "2025-06-01 12:00:01+02|2025-06-01 12:00:01+02:00",
            "2025-06-01 12:00:01.000000-05:30|2025-06-01 12:00:01-05:30",
            "2025-06-01 12:00:01.5+0530|2025-06-01 12:00:01.500000+05:30",
            "2024-05-01T10:00:00+00:00|2024-05-01T10:00:00+00:00",
            "garbage|garbage"})
    void postgresTimesAsPatroniShowsThem(String pg, String patroni) {
        assertEquals(patroni, PatroniFormats.timestamp(pg));
    }

    @Test
    void isoformatAsPython() {
        assertEquals("2026-01-01T10:00:00+00:00", PatroniFormats.isoformat(OffsetDateTime.parse("2026-01-01T10:00Z")));
        assertEquals("2026-01-01T10:00:05.250000+02:00",
                PatroniFormats.isoformat(OffsetDateTime.parse("2026-01-01T10:00:05.25+02:00")));
    }
}
