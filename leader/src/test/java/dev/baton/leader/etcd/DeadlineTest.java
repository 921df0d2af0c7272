package dev.baton.leader.etcd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadlineTest {

    @ParameterizedTest(name = "start {0}, timeout {1}, now {2} -> remaining {3}")
    @CsvSource({
            // start,                 timeout, now,                   remaining
            "0,                       1000,    0,                     1000",
            "0,                       1000,    999,                   1",
            "0,                       1000,    1000,                  0",
            "0,                       1000,    5000,                  0",
            "-500,                    1000,    0,                     500",
            "0,                       -7,      0,                     0",      // a negative timeout counts as 0
            // nanoTime may be anywhere, even about to wrap: only differences count
            "9223372036854775000,     1000,    9223372036854775807,   193",
            "9223372036854775000,     1000,    -9223372036854775808,  192",
            "9223372036854775000,     1000,    -9223372036854775000,  0",
    })
    void remainingIsTheDifferenceToTheTicker(long start, long timeout, long now, long remaining) {
        AtomicLong ticker = new AtomicLong(start);
        Deadline d = Deadline.in(ticker::get, timeout);
        assertEquals(remaining, d.remainingNanosAt(now));
        assertEquals(remaining == 0, d.passedAt(now));
        ticker.set(now);
        assertEquals(remaining, d.remainingNanos(), "read from the ticker");
    }

    @Test
    void theDeadlineMovesOnlyWithTheInjectedTicker() {
        AtomicLong ticker = new AtomicLong(42);
        Deadline d = Deadline.in(ticker::get, 3_000_000_000L);
        assertEquals(3_000_000_000L, d.remainingNanos());
        ticker.addAndGet(2_999_999_999L);
        assertEquals(1, d.remainingNanos());
        assertFalse(d.passedAt(ticker.get()));
        ticker.incrementAndGet();
        assertEquals(0, d.remainingNanos());
        assertTrue(d.passedAt(ticker.get()));
    }
}
