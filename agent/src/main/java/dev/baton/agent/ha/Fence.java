package dev.baton.agent.ha;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Self-fencing for a primary, independent of the HA loop's progress.
 *
 * <p>While this node is the primary the loop {@link #arm arms} the fence with a monotonic deadline
 * after every successful lease renewal: the instant until which the node is sure it holds the
 * lease. A small thread of its own fires {@code action} (stop postgres at once) if the deadline
 * passes without a new renewal, even when the loop itself is stuck in a call to etcd. The loop
 * never renews the lease from here: this thread can only take leadership away.
 */
public final class Fence implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Fence.class.getName());

    private final LongSupplier ticker;
    private final Runnable action;
    private final Thread thread;
    private volatile long deadline;
    private volatile boolean armed;
    private volatile boolean closed;

    public Fence(LongSupplier ticker, Runnable action) {
        this.ticker = ticker;
        this.action = action;
        this.thread = new Thread(this::run, "baton-fence");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Arms (or moves) the fence: act if not re-armed before {@code deadlineNanos}. */
    public void arm(long deadlineNanos) {
        deadline = deadlineNanos;
        armed = true;
        LockSupport.unpark(thread);
    }

    /** Disarms: this node is no longer a primary that must fence itself. */
    public void disarm() {
        armed = false;
        LockSupport.unpark(thread);
    }

    public boolean isArmed() {
        return armed;
    }

    /** The pure rule: fire when armed and the deadline has passed. */
    static boolean due(boolean armed, long deadline, long now) {
        return armed && now - deadline >= 0;
    }

    /** Checks once; returns true if it fired. The thread calls this; tests may too. */
    boolean check() {
        long d = deadline;
        if (due(armed, d, ticker.getAsLong())) {
            armed = false;
            LOG.severe("fencing: the leader lease could not be confirmed in time; stopping postgres now");
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.severe("fencing action failed: " + e.getMessage());
            }
            return true;
        }
        return false;
    }

    private void run() {
        while (!closed) {
            check();
            long wait = armed ? Math.max(1_000_000L, deadline - ticker.getAsLong()) : 1_000_000_000L;
            LockSupport.parkNanos(this, Math.min(wait, 1_000_000_000L));
        }
    }

    @Override
    public void close() {
        closed = true;
        armed = false;
        LockSupport.unpark(thread);
    }
}
