package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The watchdog's rules with a fake monotonic clock, a fake fence and a fake device. */
class FencingWatchdogTest {
    private static final long MS = 1_000_000L;

    // Near the wrap of nanoTime: every comparison must be by difference.
    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 5_000 * MS);
    private final AtomicInteger fenced = new AtomicInteger();
    private final AtomicBoolean fenceSucceeds = new AtomicBoolean(true);
    private final List<String> deviceCalls = new ArrayList<>();
    private final FencingWatchdog.Device device = new FencingWatchdog.Device() {
        @Override
        public void keepalive() {
            deviceCalls.add("keepalive");
        }

        @Override
        public void disable() {
            deviceCalls.add("disable");
        }

        @Override
        public void abandon() {
            deviceCalls.add("abandon");
        }
    };
    private final FencingWatchdog wd = new FencingWatchdog(now::get, () -> {
        fenced.incrementAndGet();
        return fenceSucceeds.get();
    }, device);

    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logged) {
                logged.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        FencingWatchdog.LOG.addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        FencingWatchdog.LOG.removeHandler(capture);
    }

    private void advance(long ms) {
        now.addAndGet(ms * MS);
    }

    private List<String> warnings() {
        synchronized (logged) {
            return logged.stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage).toList();
        }
    }

    @Test
    void disarmedNeverFences() {
        advance(1_000_000);
        assertFalse(wd.check());
        assertFalse(wd.isArmed());
        assertEquals(Long.MAX_VALUE, wd.nanosUntilDeadline());
        assertEquals(0, fenced.get());
    }

    @Test
    void armedFencesOnceWhenTheDeadlinePassesWithoutAHeartbeat() {
        wd.line("arm 4000");
        assertTrue(wd.isArmed());
        assertEquals(4000 * MS, wd.nanosUntilDeadline());
        advance(3_999);
        assertFalse(wd.check());
        advance(1);
        assertTrue(wd.check());
        assertFalse(wd.check(), "fences once, then stays disarmed");
        advance(60_000);
        assertFalse(wd.check());
        assertEquals(1, fenced.get());
        assertFalse(wd.isArmed());
        assertEquals(1, wd.fences());
    }

    @Test
    void eachHeartbeatMovesTheDeadline() {
        wd.line("arm 4000");
        for (int i = 0; i < 10; i++) {
            advance(3_000);
            assertFalse(wd.check());
            wd.line("arm 4000");
        }
        advance(3_999);
        assertFalse(wd.check());
        assertEquals(0, fenced.get());
        advance(1);
        assertTrue(wd.check());
    }

    @Test
    void aHeartbeatCanAlsoMoveTheDeadlineEarlier() {
        wd.line("arm 10000");
        wd.line("arm 1000");
        advance(1_000);
        assertTrue(wd.check(), "the latest heartbeat counts, not the latest deadline");
    }

    @Test
    void disarmingStopsIt() {
        wd.line("arm 4000");
        wd.line("disarm");
        assertFalse(wd.isArmed());
        advance(60_000);
        assertFalse(wd.check());
        assertEquals(0, fenced.get());
    }

    @Test
    void afterAFenceItKeepsListeningAndCanBeArmedAgain() {
        wd.line("arm 1000");
        advance(1_000);
        assertTrue(wd.check());
        assertEquals(FencingWatchdog.Step.CONTINUE, wd.line("arm 1000"));
        assertTrue(wd.isArmed());
        advance(1_000);
        assertTrue(wd.check());
        assertEquals(2, fenced.get());
    }

    @Test
    void endOfInputWhileArmedFencesAtOnce() {
        wd.line("arm 60000");
        assertEquals(1, wd.eof(), "exit status 1: it fenced");
        assertEquals(1, fenced.get());
        assertFalse(wd.isArmed());
    }

    @Test
    void endOfInputWhileDisarmedExitsQuietly() {
        wd.line("arm 60000");
        wd.line("disarm");
        assertEquals(0, wd.eof());
        assertEquals(0, fenced.get());
        assertEquals(List.of(), warnings());
    }

    @Test
    void endOfInputBeforeAnyHeartbeatExitsQuietly() {
        assertEquals(0, wd.eof());
        assertEquals(0, fenced.get());
    }

    @Test
    void exitDisarmsWithoutFencing() {
        wd.line("arm 60000");
        assertEquals(FencingWatchdog.Step.EXIT, wd.line("exit"));
        assertFalse(wd.isArmed());
        advance(120_000);
        assertFalse(wd.check());
        assertEquals(0, fenced.get());
    }

    @Test
    void garbageIsIgnoredWithAWarningAndNeverMovesTheDeadline() {
        wd.line("arm 1000");
        for (String garbage : List.of("arm", "arm soon", "arm 99999999999999999999", "arm 1 2 3", "ARM-1000",
                "disarm now", "exit 0", "hello\u0007world", "arm 100000000000", "fence")) {
            assertEquals(FencingWatchdog.Step.CONTINUE, wd.line(garbage), garbage);
        }
        wd.line("");
        wd.line("   ");
        assertTrue(wd.isArmed(), "garbage does not disarm");
        assertEquals(10, warnings().size(), warnings().toString());
        assertTrue(warnings().stream().allMatch(w -> w.startsWith("ignoring an input line")));
        assertTrue(warnings().stream().noneMatch(w -> w.contains("\u0007")), "control characters are not logged");
        advance(1_000);
        assertTrue(wd.check(), "the deadline of the last valid heartbeat still holds");
    }

    @Test
    void anEarlierAbsoluteDeadlineWinsSoADelayedHeartbeatNeverExtendsTheLease() {
        // Written 3 s ago with 4 s left; read only now: 1 s is left, not 4.
        long absolute = now.get() + 1_000 * MS;
        wd.line("arm 4000 " + absolute);
        assertEquals(1_000 * MS, wd.nanosUntilDeadline());
        advance(1_000);
        assertTrue(wd.check());
    }

    @Test
    void aHeartbeatArrivingAfterItsOwnDeadlineFencesAtOnce() {
        long absolute = now.get() - 30_000 * MS;   // the agent was stopped between writing and sending
        wd.line("arm 4000 " + absolute);
        assertTrue(wd.check());
        assertEquals(1, fenced.get());
        assertFalse(deviceCalls.contains("keepalive"), "a late heartbeat does not keep the device alive");
    }

    @Test
    void anAbsoluteDeadlineOnAnotherClockIsIgnored() {
        wd.line("arm 4000 " + (now.get() + 3_600_000 * MS));
        assertEquals(4_000 * MS, wd.nanosUntilDeadline());
        wd.line("arm 4000 " + (now.get() - 7_200_000 * MS));
        assertEquals(4_000 * MS, wd.nanosUntilDeadline());
        assertEquals(1, warnings().size(), "warned once: " + warnings());
    }

    @Test
    void theDeviceIsKeptAliveWhileArmedAndStoppedOnDisarm() {
        wd.line("arm 4000");
        wd.line("arm 4000");
        wd.line("disarm");
        assertEquals(List.of("keepalive", "keepalive", "disable"), deviceCalls);
    }

    @Test
    void theDeviceIsStoppedAfterACleanFenceAndLeftToResetTheMachineAfterAFailedOne() {
        wd.line("arm 1000");
        advance(1_000);
        wd.check();
        assertEquals(List.of("keepalive", "disable"), deviceCalls);

        deviceCalls.clear();
        fenceSucceeds.set(false);
        wd.line("arm 1000");
        advance(1_000);
        wd.check();
        assertEquals(List.of("keepalive", "abandon"), deviceCalls);
        wd.terminated();
        assertEquals(List.of("keepalive", "abandon"), deviceCalls, "exiting does not stop an abandoned device");
    }

    @Test
    void aSignalWhileArmedDoesNotFence() {
        wd.line("arm 60000");
        wd.terminated();
        assertEquals(0, fenced.get());
        assertEquals(List.of("keepalive", "disable"), deviceCalls);
    }

    @Test
    void aFenceActionThatThrowsCountsAsFailed() {
        FencingWatchdog w = new FencingWatchdog(now::get, () -> {
            throw new IllegalStateException("boom");
        }, device);
        w.line("arm 10");
        advance(10);
        assertTrue(w.check());
        assertEquals(List.of("keepalive", "abandon"), deviceCalls);
    }

    // ------------------------------------------------------------------ the loop, on the real clock

    @Test
    void theLoopAppliesABacklogOfHeartbeatsBeforeCheckingTheDeadline() throws Exception {
        AtomicInteger fences = new AtomicInteger();
        FencingWatchdog w = new FencingWatchdog(System::nanoTime, () -> fences.incrementAndGet() > 0, null);
        PipedOutputStream agent = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(agent, 65536);
        // A slow start: stale heartbeats wait in the pipe, the latest one is valid.
        agent.write(("arm -5000\narm -4000\narm 60000\n").getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        CompletableFuture<Integer> exit = runAsync(w, in);
        // Once the last heartbeat is applied nothing can fence for a minute, and a fence between
        // the stale ones would have happened on the loop's thread before it was applied.
        Await.until("the last heartbeat is applied", () -> {
            long left = w.nanosUntilDeadline();
            return left != Long.MAX_VALUE && left > TimeUnit.SECONDS.toNanos(30);
        });
        assertEquals(0, fences.get());
        agent.write("exit\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertEquals(0, fences.get());
    }

    @Test
    void theLoopFencesWhenTheDeadlinePassesAndExitsOneAtEndOfInputWhileArmed() throws Exception {
        AtomicInteger fences = new AtomicInteger();
        FencingWatchdog w = new FencingWatchdog(System::nanoTime, () -> fences.incrementAndGet() > 0, null);
        PipedOutputStream agent = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(agent, 65536);
        CompletableFuture<Integer> exit = runAsync(w, in);
        agent.write("arm 200\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        Await.until("the deadline fence", () -> fences.get() == 1);
        assertFalse(exit.isDone(), "it keeps running after a fence");
        agent.write("arm 60000\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        Await.until("armed again", w::isArmed);
        agent.close();
        assertEquals(1, exit.get(10, TimeUnit.SECONDS));
        assertEquals(2, fences.get(), "the end of the input while armed fenced again");
    }

    @Test
    void theLoopExitsZeroAtEndOfInputWhileDisarmed() throws Exception {
        AtomicInteger fences = new AtomicInteger();
        FencingWatchdog w = new FencingWatchdog(System::nanoTime, () -> fences.incrementAndGet() > 0, null);
        PipedOutputStream agent = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(agent, 65536);
        CompletableFuture<Integer> exit = runAsync(w, in);
        agent.write("arm 60000\nnonsense\ndisarm\n".getBytes(StandardCharsets.US_ASCII));
        agent.close();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertEquals(0, fences.get());
    }

    /**
     * Frozen together with the agent (drill stop-agent-tree): on waking far past the deadline, the
     * disarm the agent wrote after it demoted itself is applied before the watchdog decides, so the
     * rewind's postgres the agent has started since is not killed. Without input, it still fences.
     */
    @Test
    void afterAFreezeWhatTheAgentWroteMeanwhileIsReadBeforeTheDecision() throws Exception {
        AtomicInteger fences = new AtomicInteger();
        AtomicLong clock = new AtomicLong(0);
        FencingWatchdog w = new FencingWatchdog(clock::get, () -> fences.incrementAndGet() > 0, null);
        w.frozenGrace(java.time.Duration.ofSeconds(30));
        PipedOutputStream agent = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(agent, 65536);
        CompletableFuture<Integer> exit = runAsync(w, in);
        agent.write("arm 100\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        Await.until("armed", w::isArmed);
        clock.addAndGet(10_000 * MS); // both were frozen for 10 s
        Thread.sleep(400); // the watchdog's wait has ended: it is in the grace
        agent.write("disarm\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        Await.until("disarmed", () -> !w.isArmed());
        assertEquals(0, fences.get(), "the disarm written during the freeze counted");

        w.frozenGrace(java.time.Duration.ofMillis(50));
        agent.write("arm 100\n".getBytes(StandardCharsets.US_ASCII));
        agent.flush();
        Await.until("armed again", w::isArmed);
        clock.addAndGet(10_000 * MS); // frozen again, and the agent says nothing
        Await.until("fenced after the grace", () -> fences.get() == 1);
        agent.close();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
    }

    private static CompletableFuture<Integer> runAsync(FencingWatchdog w, PipedInputStream in) {
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exit.complete(w.run(new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))));
            } catch (Throwable e) {
                exit.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return exit;
    }
}
