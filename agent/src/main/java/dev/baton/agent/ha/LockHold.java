package dev.baton.agent.ha;

import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Whether, and until when, this node holds the leader lock, and the two fences that act on it:
 * the in-process {@link Fence} thread and the out-of-process {@link Watchdog}. Holding arms both
 * with the instant until which the lease is certain; if no new hold arrives in time, postgres is
 * stopped at once ({@link #fenceNow()}), even while the loop is stuck. In maintenance mode the
 * lock is still reported but the fences stay disarmed.
 */
final class LockHold implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LockHold.class.getName());

    private final PostgresController pg;
    private final Fence fence;
    private volatile Watchdog watchdog = Watchdog.NONE;
    private volatile HaListener listener = HaListener.NONE;
    private volatile Runnable onFenced = () -> { };
    private volatile long validUntil;
    private volatile boolean fenced;

    LockHold(PostgresController pg, LongSupplier ticker) {
        this.pg = pg;
        this.fence = new Fence(ticker, this::fenceNow);
    }

    void start() {
        fence.start();
        watchdog.prepare();
    }

    void setWatchdog(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    void setListener(HaListener listener, Runnable onFenced) {
        this.listener = listener;
        this.onFenced = onFenced;
    }

    /** Holds the lock until {@code until} (0: not held), arming or disarming the fences. */
    void hold(long until, boolean paused) {
        validUntil = until;
        if (until != 0 && !paused) {
            fence.arm(until);
            watchdog.arm(until);
        } else {
            fence.disarm();
            watchdog.disarm();
        }
    }

    void release() {
        hold(0, true);
    }

    /** The instant until which the lock is held, 0 if it is not. */
    long validUntil() {
        return validUntil;
    }

    boolean held() {
        return validUntil != 0;
    }

    /** Whether the fence stopped postgres since the store was last read successfully. */
    boolean fenced() {
        return fenced;
    }

    /** A successful read of the store: whatever the fence did is now known to the loop. */
    void clearFenced() {
        fenced = false;
    }

    /** The lease could not be confirmed in time: stop accepting writes now. */
    void fenceNow() {
        validUntil = 0;
        watchdog.disarm();
        try {
            if (pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE, Duration.ofSeconds(30));
                listener.stopped(Role.PRIMARY);
            }
        } catch (PostgresException e) {
            LOG.severe("fencing could not stop postgres: " + e.getMessage());
        }
        // Fenced, whether this thread stopped postgres or the out-of-process watchdog, firing at
        // the same deadline, got there first.
        onFenced.run();
        fenced = true;
        listener.fenced();
    }

    @Override
    public void close() {
        fence.close();
        watchdog.close();
    }
}
