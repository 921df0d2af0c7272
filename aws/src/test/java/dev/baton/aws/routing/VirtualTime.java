package dev.baton.aws.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A virtual monotonic clock for {@link AwsRouter}s: time moves only when the test says so, and
 * each move waits until every router's thread has done what fell due ({@link AwsRouter#awaitIdle}).
 * Retries, backoff and reconciliation then run in virtual milliseconds, and "nothing happened for
 * 500 ms" is a fact about 500 virtual ms, not a guess about a sleeping thread.
 */
final class VirtualTime implements LongSupplier {
    /** Time moves in steps this long, so that each due time is met within one step (as a waiting thread would). */
    static final Duration STEP = Duration.ofMillis(5);
    /** How much virtual time {@link #runUntil} lets pass before it gives up. */
    private static final Duration PATIENCE = Duration.ofMinutes(1);
    /** Real time a router's thread may take to settle (a hang guard, not a timing goal). */
    private static final long SETTLE_MILLIS = 10_000;

    private final AtomicLong nanos = new AtomicLong(Duration.ofHours(1).toNanos());
    private final List<AwsRouter> routers = new ArrayList<>();

    @Override
    public long getAsLong() {
        return nanos.get();
    }

    /** Starts driving {@code router} (built with this clock as its ticker); returns it. */
    AwsRouter drive(AwsRouter router) {
        routers.add(router);
        return router;
    }

    /** Waits until every router's thread has done what is due now. */
    void settle() throws InterruptedException {
        for (AwsRouter r : routers) {
            if (!r.awaitIdle(SETTLE_MILLIS)) {
                throw new AssertionError("the router's thread did not settle within " + SETTLE_MILLIS + " ms: "
                        + r.status());
            }
        }
    }

    /** Lets {@code d} of virtual time pass, step by step, the routers doing whatever falls due. */
    void advance(Duration d) throws InterruptedException {
        settle();
        for (long left = d.toNanos(); left > 0; left -= STEP.toNanos()) {
            step(Math.min(STEP.toNanos(), left));
        }
    }

    /** Lets virtual time pass until {@code condition} holds (at most a virtual minute). */
    void runUntil(String what, BooleanSupplier condition) throws InterruptedException {
        settle();
        for (long waited = 0; !condition.getAsBoolean(); waited += STEP.toNanos()) {
            if (waited > PATIENCE.toNanos()) {
                throw new AssertionError("not " + what + " within " + PATIENCE.toSeconds() + " virtual seconds");
            }
            step(STEP.toNanos());
        }
    }

    private void step(long n) throws InterruptedException {
        nanos.addAndGet(n);
        for (AwsRouter r : routers) {
            r.wake();
        }
        settle();
    }
}
