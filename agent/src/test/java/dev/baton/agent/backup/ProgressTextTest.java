package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The agent's restore progress: each sample shown with rate and time left, logged at most every period. */
class ProgressTextTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void eachSampleIsShownAndTheLogGetsOneLinePerPeriod() {
        AtomicLong now = new AtomicLong(5 * SECOND);
        List<String> shown = new ArrayList<>();
        List<String> logged = new ArrayList<>();
        BackupProgress p = ProgressText.logged(now::get, 10 * SECOND, shown::add, logged::add);
        long mib = 1L << 20;
        p.update(0, 100 * mib);
        now.addAndGet(2 * SECOND);
        p.update(20 * mib, 100 * mib);
        now.addAndGet(9 * SECOND);
        p.update(90 * mib, 100 * mib);
        assertEquals(List.of("0 B of 100.0 MiB", "20.0 MiB of 100.0 MiB, 10.0 MiB/s, 8 s left",
                "90.0 MiB of 100.0 MiB, 8.2 MiB/s, 2 s left"), shown);
        assertEquals(List.of("0 B of 100.0 MiB", "90.0 MiB of 100.0 MiB, 8.2 MiB/s, 2 s left"), logged,
                "the first sample, then not before 10 s have passed");
    }
}
