package dev.baton.cli.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The CLI's one polling loop: read, check, sleep, until a condition holds or a deadline passes.
 * The clock and the sleep are injected so that tests run it in virtual time.
 */
public final class Poll {
    /** Sleeps for a while (the real one is {@link Thread#sleep(long)}). */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final LongSupplier nanos;
    private final Sleeper sleeper;

    public Poll(LongSupplier nanos, Sleeper sleeper) {
        this.nanos = nanos;
        this.sleeper = sleeper;
    }

    /** Real time: {@link System#nanoTime()} and {@link Thread#sleep(long)}. */
    public static Poll system() {
        return new Poll(System::nanoTime, d -> Thread.sleep(d.toMillis()));
    }

    /**
     * Reads {@code read} every {@code interval} until {@code done} accepts a value or
     * {@code timeout} passed, and returns the last value read (the caller tells which by testing
     * it again). Reads at least once, and once more at the deadline.
     */
    public <T> T until(Duration timeout, Duration interval, Supplier<T> read, Predicate<T> done)
            throws InterruptedException {
        long deadline = nanos.getAsLong() + timeout.toNanos();
        while (true) {
            T value = read.get();
            if (done.test(value)) {
                return value;
            }
            long left = deadline - nanos.getAsLong();
            if (left <= 0) {
                return value;
            }
            sleeper.sleep(left < interval.toNanos() ? Duration.ofNanos(left) : interval);
        }
    }

    /** True as soon as {@code condition} holds, false if it still does not after {@code timeout}. */
    public boolean until(Duration timeout, Duration interval, BooleanSupplier condition) throws InterruptedException {
        return until(timeout, interval, condition::getAsBoolean, ok -> ok);
    }
}
