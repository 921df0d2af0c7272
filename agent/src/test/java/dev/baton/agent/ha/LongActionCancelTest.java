package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** POST /reinitialize with force: what may be cancelled, and the slot's cancel on a real thread. */
class LongActionCancelTest {

    @Test
    void onlyWhatConcernsThisReplicasOwnCopyMayBeCancelled() {
        for (LongAction a : LongAction.values()) {
            boolean expected = switch (a) {
                case CLONE, START_REPLICA, REWIND, RESTART, RELOAD, REINITIALIZE -> true;
                default -> false;
            };
            assertEquals(expected, OperatorPolicy.cancellableByForce(a), a.name());
        }
        assertFalse(OperatorPolicy.cancellableByForce(LongAction.PROMOTE));
        assertFalse(OperatorPolicy.cancellableByForce(LongAction.FENCE));
    }

    @Test
    void cancelInterruptsTheRunningActionAndFreesTheSlot() throws Exception {
        AtomicInteger done = new AtomicInteger();
        LongActionSlot slot = new LongActionSlot(LongActionSlot.Runner.thread("test-long-action"), () -> false,
                done::incrementAndGet);
        CountDownLatch started = new CountDownLatch(1);
        slot.submit(LongAction.RESTART.running(), () -> {
            started.countDown();
            try {
                Thread.sleep(60_000); // a pg_ctl start waiting: interrupted, it kills the process
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted");
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertTrue(slot.cancel(Duration.ofSeconds(10)));
        assertNull(slot.running());
        assertEquals(1, done.get(), "onDone ran: the loop is woken up");

        // The next action runs normally on the same thread (the interrupt did not stay behind).
        CountDownLatch second = new CountDownLatch(1);
        slot.submit(LongAction.REINITIALIZE.running(), () -> {
            try {
                Thread.sleep(10);
                second.countDown();
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted again");
            }
        });
        assertTrue(second.await(10, TimeUnit.SECONDS));
        slot.close();
    }

    @Test
    void cancellingAnIdleSlotIsAtOnceTrue() {
        LongActionSlot slot = new LongActionSlot(LongActionSlot.Runner.thread("test-idle"), () -> false, () -> { });
        assertTrue(slot.cancel(Duration.ofMillis(1)));
        slot.close();
    }
}
