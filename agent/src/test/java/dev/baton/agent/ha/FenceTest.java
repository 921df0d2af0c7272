package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The fence's rules with a fake monotonic clock (no thread started). */
class FenceTest {
    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 5_000);  // also across the wrap of nanoTime
    private final AtomicInteger fired = new AtomicInteger();
    private final Fence fence = new Fence(now::get, fired::incrementAndGet);

    @Test
    void disarmedNeverFires() {
        now.addAndGet(1_000_000_000_000L);
        assertFalse(fence.check());
        assertEquals(0, fired.get());
    }

    @Test
    void firesOnceWhenTheDeadlinePassesWithoutRenewal() {
        fence.arm(now.get() + 3_000);
        now.addAndGet(2_999);
        assertFalse(fence.check());
        now.addAndGet(1);
        assertTrue(fence.check());
        assertFalse(fence.check(), "fires once, then stays disarmed");
        assertEquals(1, fired.get());
        assertFalse(fence.isArmed());
    }

    @Test
    void eachRenewalMovesTheDeadline() {
        fence.arm(now.get() + 3_000);
        now.addAndGet(2_000);
        fence.arm(now.get() + 3_000);
        now.addAndGet(2_000);
        assertFalse(fence.check());
        assertEquals(0, fired.get());
    }

    @Test
    void disarmingOnDemotionOrPauseStopsIt() {
        fence.arm(now.get() + 3_000);
        fence.disarm();
        now.addAndGet(10_000);
        assertFalse(fence.check());
        assertEquals(0, fired.get());
    }
}
