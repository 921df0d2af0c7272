package dev.baton.aws.emulator;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Holds calls of named operations until the test lets them go, so that a test knows a call is in
 * flight while it does something else, instead of guessing with latency how long a call takes.
 * The operation calls {@link #pass}; the test calls {@link #hold}, {@link #awaitHeld} and
 * {@link #proceed} or {@link #release}.
 */
public final class Gate {
    /** A hang guard for {@link #awaitHeld}, not a timing goal. */
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Set<String> held = new HashSet<>();
    /** Per operation: how many calls reached the gate while it was held, and how many of those may go on. */
    private final Map<String, Integer> arrived = new HashMap<>();
    private final Map<String, Integer> allowed = new HashMap<>();

    /** Holds every later call of {@code operation} until {@link #proceed} or {@link #release}. */
    public synchronized void hold(String operation) {
        held.add(operation);
    }

    /** Lets the calls of {@code operation} now at the gate go on; later ones are held still. */
    public synchronized void proceed(String operation) {
        allowed.put(operation, arrived.getOrDefault(operation, 0));
        notifyAll();
    }

    /** Lets every call of {@code operation} go on, now and later. */
    public synchronized void release(String operation) {
        held.remove(operation);
        notifyAll();
    }

    /** Lets every call go on, now and later. */
    public synchronized void releaseAll() {
        held.clear();
        notifyAll();
    }

    /** Waits until the {@code n}th held call of {@code operation} (counting from 1) is at the gate. */
    public synchronized void awaitHeld(String operation, int n) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (arrived.getOrDefault(operation, 0) < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("held call #" + n + " of " + operation + " never came");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Called by the operation before it does anything: returns at once unless {@code operation} is held. */
    public synchronized void pass(String operation) throws InterruptedException {
        if (!held.contains(operation)) {
            return;
        }
        int ticket = arrived.merge(operation, 1, Integer::sum);
        notifyAll();
        while (held.contains(operation) && allowed.getOrDefault(operation, 0) < ticket) {
            wait();
        }
    }
}
