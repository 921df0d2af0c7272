package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Byte sizes: the configuration's parser, and the strict one for client input (REST API queries). */
class SizesTest {
    private static final long MB = 1L << 20;

    @ParameterizedTest(name = "\"{0}\" is {1} bytes")
    @CsvSource(delimiter = '|', value = {
        "0                   | 0",
        "1048576             | 1048576",
        "100B                | 100",
        "100b                | 100",
        "512kB               | 524288",
        "1KB                 | 1024",
        "10MB                | 10485760",
        "10mb                | 10485760",
        "' 10 MB '           | 10485760",
        "3 GB                | 3221225472",
        "1TB                 | 1099511627776",
        "9223372036854775807 | 9223372036854775807",
    })
    void sizes(String text, long bytes) {
        assertEquals(bytes, Sizes.parseBytes(text));
        assertEquals(OptionalLong.of(bytes), Sizes.parseNonNegative(text));
    }

    @ParameterizedTest(name = "\"{0}\" is not a size")
    @ValueSource(strings = {"", "  ", "MB", "10XB", "1 PB", "1.5MB", "+1", "1e3", "10 M B", "0x10",
        "99999999999999999999", "9999999TB", "9223372036854775807B0"})
    void notSizes(String text) {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(text));
        assertEquals(OptionalLong.empty(), Sizes.parseNonNegative(text));
    }

    @ParameterizedTest(name = "\"{0}\" is negative")
    @CsvSource(delimiter = '|', value = {"-1 | -1", "-5MB | -5242880", "-0 | 0", "' -1kB' | -1024"})
    void negativeSizesAreTheCallersToRefuseButNeverAClients(String text, long bytes) {
        assertEquals(bytes, Sizes.parseBytes(text), "the configuration reports its own range error");
        assertEquals(OptionalLong.empty(), Sizes.parseNonNegative(text));
    }

    @ParameterizedTest
    @NullSource
    void nullIsNotASize(String text) {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(text));
        assertEquals(OptionalLong.empty(), Sizes.parseNonNegative(text));
    }

    @org.junit.jupiter.api.Test
    void overflowOnScalingIsReportedNotWrapped() {
        assertEquals(OptionalLong.of((Long.MAX_VALUE >> 20) * MB), Sizes.parseNonNegative((Long.MAX_VALUE >> 20) + "MB"));
        assertEquals(OptionalLong.empty(), Sizes.parseNonNegative(((Long.MAX_VALUE >> 20) + 1) + "MB"));
        assertEquals("size too large: \"9999999TB\"",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("9999999TB")).getMessage());
        assertEquals("not a size: \"1 PB\"",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("1 PB")).getMessage());
    }
}
