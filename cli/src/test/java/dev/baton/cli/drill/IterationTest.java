package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IterationTest {

    @Test
    void theFaultLandsAtARandomPointOfALoopWait() {
        Set<Long> tenths = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            long j = Iteration.phaseJitterNanos(1);
            assertTrue(j >= 0 && j < TimeUnit.SECONDS.toNanos(1), "within one loop_wait: " + j);
            tenths.add(j / TimeUnit.MILLISECONDS.toNanos(100));
        }
        assertEquals(10, tenths.size(), "spread over the whole loop_wait, not at one phase: " + tenths);
        assertTrue(Iteration.phaseJitterNanos(10) < TimeUnit.SECONDS.toNanos(10));
        assertEquals(0, Iteration.phaseJitterNanos(0), "no loop_wait known: no jitter");
    }
}
