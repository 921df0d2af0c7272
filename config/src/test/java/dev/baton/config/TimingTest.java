package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bounds and Patroni's adjustment of loop_wait, retry_timeout and ttl. */
class TimingTest {

    @ParameterizedTest(name = "{0}/{1}/{2} -> {3}/{4}/{5}")
    @CsvSource(delimiter = '|', value = {
        // ttl | loop_wait | retry | -> ttl | loop_wait | retry | changes
        "10   | 1  | 3  | 10   | 1   | 3   | ''",
        "30   | 10 | 10 | 30   | 10  | 10  | ''",
        // Patroni lowers loop_wait first...
        "60   | 25 | 20 | 60   | 20  | 20  | loop_wait lowered from 25 to 20",
        "30   | 25 | 10 | 30   | 10  | 10  | loop_wait lowered from 25 to 10",
        // ...and retry_timeout once loop_wait is at its minimum.
        "10   | 1  | 5  | 10   | 1   | 4   | retry_timeout lowered from 5 to 4",
        "10   | 9  | 9  | 10   | 1   | 4   | loop_wait lowered from 9 to 1; retry_timeout lowered from 9 to 4",
        // ttl 2 is etcd's minimum, but no loop_wait and retry_timeout fit it.
        "2    | 1  | 1  | 3    | 1   | 1   | ttl raised from 2 to 3",
        "3    | 1  | 1  | 3    | 1   | 1   | ''",
        // Out of bounds (the etcd key): clamped, then the rule.
        "2147483647 | 1000000 | 3 | 3600 | 300 | 3 | ttl lowered from 2147483647 to 3600; loop_wait lowered from 1000000 to 300",
        "0    | 0  | 0  | 3    | 1   | 1   | ttl raised from 0 to 2; loop_wait raised from 0 to 1; retry_timeout raised from 0 to 1; ttl raised from 2 to 3",
        "3600 | 300 | 2000 | 3600 | 300 | 600 | retry_timeout lowered from 2000 to 600",
        "100  | 300 | 600 | 100 | 1   | 49  | retry_timeout lowered from 600 to 49; loop_wait lowered from 300 to 1",
    })
    void adjusted(int ttl, int loopWait, int retry, int ttlAfter, int loopWaitAfter, int retryAfter, String changes) {
        Timing.Adjusted a = new Timing(ttl, loopWait, retry).adjusted();
        assertEquals(new Timing(ttlAfter, loopWaitAfter, retryAfter), a.timing());
        assertEquals(changes.isEmpty() ? List.of() : List.of(changes.split("; ")).stream().sorted().toList(),
                a.changes().stream().map(Timing.Change::summary).sorted().toList());
    }

    @Test
    void aChangeSaysWhy() {
        assertEquals(List.of("loop_wait lowered from 25 to 20: loop_wait + 2*retry_timeout <= ttl did not hold "
                + "(25 + 2*20 > 60)"), new Timing(60, 25, 20).adjusted().changes().stream().map(Timing.Change::message).toList());
        assertEquals("ttl lowered from 5000 to 3600: must be <= 3600",
                new Timing(5000, 1, 3).adjusted().changes().get(0).message());
    }

    @Test
    void boundErrorsNameTheKey() {
        assertEquals(List.of(new ConfigError("config.ttl", "must be <= 3600, got 3601"),
                new ConfigError("config.loop_wait", "must be >= 1, got 0"),
                new ConfigError("config.retry_timeout", "must be <= 600, got 601")),
                new Timing(3601, 0, 601).boundErrors("config."));
        assertEquals(List.of(), new Timing(2, 1, 1).boundErrors(""), "ttl 2 is in bounds (the rule then raises it)");
        assertEquals("loop_wait + 2*retry_timeout must be <= ttl (25 + 2*10 = 45 > 30)",
                new Timing(30, 25, 10).ruleViolation());
    }

    @Property
    void theAdjustedTimingIsSafeInBoundsAndFinal(@ForAll int ttl, @ForAll int loopWait, @ForAll int retry) {
        Timing t = new Timing(ttl, loopWait, retry);
        Timing a = t.adjusted().timing();
        assertTrue(a.safe(), a.toString());
        assertEquals(List.of(), a.boundErrors(""));
        assertEquals(List.of(), a.adjusted().changes(), "adjusting twice changes nothing");
        if (t.safe() && t.boundErrors("").isEmpty()) {
            assertEquals(t, a, "safe values in bounds are kept");
        }
        assertTrue(a.ttl() == t.ttl() || t.ttl() < 3 || t.ttl() > Timing.MAX_TTL, "ttl changes only out of bounds or at 2");
    }
}
