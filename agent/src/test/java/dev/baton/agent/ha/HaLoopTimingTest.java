package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static dev.baton.agent.ha.LoopHarness.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cycle by cycle: the lease ttl, the request deadline and the cycle follow the config key's timing. */
class HaLoopTimingTest {

    /** The config key's timing becomes {@code ttl/loopWait/retryTimeout}. */
    private static void timing(LoopHarness h, int ttl, int loopWait, int retryTimeout) {
        h.config(h.config.bootstrap().dcs().withTiming(new Timing(ttl, loopWait, retryTimeout)));
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "          | 10/1/3  | LEASE",
        "10/1/3    | 10/1/3  | NONE",
        "10/1/3    | 10/2/3  | LOOP_WAIT",
        "10/1/3    | 10/1/4  | REQUEST_TIMEOUT",
        "10/1/3    | 10/2/4  | REQUEST_TIMEOUT",
        "10/1/3    | 60/1/3  | LEASE",
        "10/1/3    | 60/25/10 | LEASE",
    })
    void theStepIsDecidedByWhatChanged(String applied, String wanted, Retiming.Step step) {
        assertEquals(step, Retiming.step(parse(applied), parse(wanted)));
    }

    private static Timing parse(String s) {
        if (s == null) {
            return null;
        }
        String[] f = s.split("/");
        return new Timing(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]));
    }

    /** The finding of issue 14: edit-config ttl=60 loop_wait=25 made the leader renew a 10 s lease every 25 s. */
    @Test
    void theLeaderKeepsItsLockWhenTtlAndLoopWaitGrowTogether() {
        LoopHarness h = HaLoopLeaderTest.leading();
        long oldLease = h.store.leaseId();
        assertEquals(10, h.etcd.leaseTtl(oldLease));
        assertEquals(0, h.watchdog.leaseTtl, "not told at start: it was set up for the file's ttl");
        timing(h, 60, 25, 10);

        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(oldLease, h.store.leaseId(), "read this cycle, applied at the start of the next");
        assertEquals(h.nanos.get() + 4 * SECOND, h.watchdog.armedUntil, "still the old timing: 1 + 3 s");

        h.advanceSeconds(1);   // the old loop_wait
        assertEquals("no action: I am the leader with the lock", h.cycle());
        long newLease = h.store.leaseId();
        assertNotEquals(oldLease, newLease);
        assertEquals(60, h.etcd.leaseTtl(newLease), "the lease follows the config key's ttl");
        assertEquals(0, h.etcd.leaseTtl(oldLease), "the old lease is revoked");
        assertEquals(newLease, h.etcd.leaderLease(), "the leader key moved onto the new lease");
        assertEquals(newLease, h.etcd.leaseOf("members/" + ME), "and so did the member key");
        assertEquals(Duration.ofSeconds(10), h.store.requestTimeout(), "requests get retry_timeout");
        assertEquals(h.nanos.get() + 35 * SECOND, h.watchdog.armedUntil,
                "the watchdog is re-armed: loop_wait + retry_timeout of the new timing");
        assertEquals(60, h.watchdog.leaseTtl, "and told the new ttl (for its device's timeout)");

        // Several new loop_waits, more than two old ttls: no fence, no failover, the same lease.
        for (int i = 0; i < 4; i++) {
            h.advanceSeconds(25);
            assertEquals("no action: I am the leader with the lock", h.cycle());
            assertTrue(h.holdsLock());
        }
        assertEquals(ME, h.leader());
        assertEquals(newLease, h.etcd.leaderLease());
        assertEquals(1, h.store.regrants());
        assertEquals(List.of(), h.takeEvents(), "never fenced, never stopped");
    }

    @Test
    void aShorterTtlShortensTheHoldAtOnceEvenIfTheRenewalThatFollowsFails() {
        LoopHarness h = HaLoopLeaderTest.leading();
        timing(h, 60, 25, 10);
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(60, h.etcd.leaseTtl(h.store.leaseId()));
        h.advanceSeconds(5);
        timing(h, 10, 1, 3);
        h.cycle();
        assertEquals(h.nanos.get() + 35 * SECOND, h.watchdog.armedUntil, "read, not applied yet");

        h.advanceSeconds(25);
        long regrantAt = h.nanos.get();
        h.before("renewLease", () -> h.etcd.down(true));
        String s = h.cycle();
        assertTrue(s.startsWith("cluster store not accessible"), s);
        assertEquals(10, h.etcd.leaseTtl(h.store.leaseId()));
        assertEquals(h.store.leaseId(), h.etcd.leaderLease());
        assertEquals(regrantAt + 4 * SECOND, h.state().lockValidUntilNanos(),
                "held no longer than the new 10 s lease makes sure of (1 + 3 s), not the old 35 s");
        assertEquals(regrantAt + 4 * SECOND, h.watchdog.armedUntil);
    }

    @Test
    void aStoreOutageDuringTheRegrantLeavesTheOldTimingAndTheNextCycleTriesAgain() {
        LoopHarness h = HaLoopLeaderTest.leading();
        long oldLease = h.store.leaseId();
        timing(h, 30, 10, 10);
        h.cycle();
        h.advanceSeconds(1);
        h.before("retime", () -> h.etcd.down(true));
        assertTrue(h.cycle().startsWith("cluster store not accessible"));
        assertEquals(oldLease, h.store.leaseId());
        assertTrue(h.holdsLock(), "still sure of the old lease");

        h.etcd.down(false);
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(30, h.etcd.leaseTtl(h.store.leaseId()));
        assertEquals(h.store.leaseId(), h.etcd.leaderLease());
        assertEquals(ME, h.leader());
    }

    @Test
    void aReplicaMovesItsMemberKeyAndOnlyRetryTimeoutTouchesNoLease() {
        LoopHarness h = HaLoopReplicaTest.following();
        h.cycle();
        long lease = h.store.leaseId();
        timing(h, 10, 2, 4);
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(lease, h.store.leaseId(), "same ttl: no new lease");
        assertEquals(Duration.ofSeconds(4), h.store.requestTimeout());

        timing(h, 20, 2, 4);
        h.cycle();
        h.advanceSeconds(2);
        h.cycle();
        assertEquals(20, h.etcd.leaseTtl(h.store.leaseId()));
        assertEquals(h.store.leaseId(), h.etcd.leaseOf("members/" + ME));
    }

    @Test
    void anUnsafeKeyIsAdjustedAsPatroniDoesAndWarnedAboutOnce() {
        List<String> warnings = new ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(Retiming.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try {
            LoopHarness h = HaLoopLeaderTest.leading();
            timing(h, 20, 10, 10);   // 10 + 2*10 > 20: loop_wait 1, retry_timeout 9
            for (int i = 0; i < 3; i++) {
                h.cycle();
                h.advanceSeconds(1);
            }
            assertEquals(20, h.etcd.leaseTtl(h.store.leaseId()));
            assertEquals(Duration.ofSeconds(9), h.store.requestTimeout());
            assertEquals(h.nanos.get() - SECOND + 10 * SECOND, h.watchdog.armedUntil, "loop_wait 1 + retry_timeout 9");
            assertEquals(List.of(
                    "config key: loop_wait lowered from 10 to 1: loop_wait + 2*retry_timeout <= ttl did not hold (10 + 2*10 > 20)",
                    "config key: retry_timeout lowered from 10 to 9: loop_wait + 2*retry_timeout <= ttl did not hold (10 + 2*10 > 20)"),
                    warnings, "once, not every cycle");
        } finally {
            log.removeHandler(handler);
        }
    }
}
