package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The supervisor of pgBackRest's TLS server: restarts a server that stops, kills it on close. */
class PgBackRestServerTest {

    @Test
    void aServerThatStopsIsStartedAgainAndStaleOnesAreClearedFirst() throws Exception {
        AtomicInteger cleared = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        PgBackRestServer s = new PgBackRestServer(lines -> {
            lines.accept("ERROR: [046]: unable to bind");
            third.countDown();
            return new ProcessResult(46, "ERROR: [046]: unable to bind", false);
        }, cleared::incrementAndGet, Duration.ofMillis(10)).started();
        try {
            assertTrue(third.await(30, TimeUnit.SECONDS), "started three times");
            assertTrue(cleared.get() >= 3, "stale servers cleared before each start");
        } finally {
            s.close();
        }
    }

    @Test
    void closeInterruptsTheRunningServer() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        PgBackRestServer s = new PgBackRestServer(lines -> {
            running.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
                Thread.currentThread().interrupt();
            }
            return new ProcessResult(-1, "interrupted", true);
        }, () -> { }, Duration.ofMillis(10)).started();
        assertTrue(running.await(30, TimeUnit.SECONDS));
        s.close();
        assertTrue(interrupted.await(30, TimeUnit.SECONDS), "the server's run was interrupted (the runner kills it)");
        assertFalse(s.starts() > 1, "not started again after close");
    }
}
