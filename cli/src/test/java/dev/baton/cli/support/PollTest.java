package dev.baton.cli.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PollTest {
    private long now;
    private final List<Duration> sleeps = new ArrayList<>();
    private final Poll poll = new Poll(() -> now, d -> {
        sleeps.add(d);
        now += d.toNanos();
    });

    @Test
    void returnsAtOnceWhenTheConditionHolds() throws InterruptedException {
        assertTrue(poll.until(Duration.ofSeconds(5), Duration.ofMillis(200), () -> true));
        assertEquals(List.of(), sleeps);
    }

    @Test
    void readsEveryIntervalUntilTheConditionHolds() throws InterruptedException {
        int[] reads = {0};
        assertEquals(3, poll.until(Duration.ofSeconds(5), Duration.ofMillis(200), () -> ++reads[0], n -> n == 3));
        assertEquals(List.of(Duration.ofMillis(200), Duration.ofMillis(200)), sleeps);
    }

    @Test
    void givesUpAfterTheTimeoutWithOneLastReadAtTheDeadline() throws InterruptedException {
        int[] reads = {0};
        assertFalse(poll.until(Duration.ofMillis(500), Duration.ofMillis(200), () -> {
            reads[0]++;
            return false;
        }));
        assertEquals(List.of(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(100)), sleeps);
        assertEquals(4, reads[0]);
        assertEquals(Duration.ofMillis(500).toNanos(), now);
    }

    @Test
    void theLastValueReadIsReturnedOnTimeout() throws InterruptedException {
        int[] reads = {0};
        assertEquals(2, poll.until(Duration.ofMillis(300), Duration.ofMillis(300), () -> ++reads[0], n -> n > 5));
    }
}
