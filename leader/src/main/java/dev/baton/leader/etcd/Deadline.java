package dev.baton.leader.etcd;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A point on a monotonic ticker by which something must be done: the shared bound of one public
 * store call (all its sub-requests fit inside it), or the end of a wait.
 *
 * <p>Arithmetic is done on differences, as {@link System#nanoTime()} requires: a ticker value may
 * be negative or wrap around, and only {@code at - now} is meaningful.
 */
final class Deadline {

    private final LongSupplier ticker;
    private final long atNanos;

    private Deadline(LongSupplier ticker, long atNanos) {
        this.ticker = ticker;
        this.atNanos = atNanos;
    }

    /** The deadline {@code nanos} after the ticker's current value (negative counts as 0). */
    static Deadline in(LongSupplier ticker, long nanos) {
        Objects.requireNonNull(ticker, "ticker");
        return new Deadline(ticker, ticker.getAsLong() + Math.max(0, nanos));
    }

    /** Nanoseconds left, 0 once passed; reads the ticker. */
    long remainingNanos() {
        return remainingNanosAt(ticker.getAsLong());
    }

    /** Nanoseconds left at the ticker value {@code nowNanos}, 0 once passed. */
    long remainingNanosAt(long nowNanos) {
        return Math.max(0, atNanos - nowNanos);
    }

    /** True once the deadline is reached at {@code nowNanos}. */
    boolean passedAt(long nowNanos) {
        return atNanos - nowNanos <= 0;
    }
}
