package dev.baton.agent.ha;

import dev.baton.config.DynamicConfig;
import dev.baton.config.Timing;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.LeaseRenewal;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Makes the agent follow the cluster's timing, as Patroni does: {@code ttl}, {@code loop_wait}
 * and {@code retry_timeout} come from the {@code config} key, adjusted by {@link Timing#adjusted()}
 * (bounds, then {@code loop_wait + 2*retry_timeout <= ttl}), never from the local file once the
 * key has been read.
 *
 * <p>A change read in one cycle takes effect, all three values together, at the start of the
 * next ({@link #apply}): the store re-grants its lease with the new ttl and moves this member's
 * keys onto it, and takes the new request deadline; until then the loop keeps the timing its
 * lease was granted for ({@link #follow} returns the configuration with the timing
 * <em>applied</em>), so it never sleeps a new, longer {@code loop_wait} on an old, shorter lease.
 * If the store cannot be reached, nothing is applied and the next cycle tries again.
 *
 * <p>After a re-grant the lock is held no longer than the new lease makes sure of (a shorter ttl
 * shortens it at once), and the fences and the watchdog are armed with that instant; the next
 * renewal in the same cycle then arms them as usual.
 */
final class Retiming {
    private static final Logger LOG = Logger.getLogger(Retiming.class.getName());

    /** What applying a wanted timing over the applied one takes. */
    enum Step {
        /** Nothing changed. */
        NONE,
        /** Only loop_wait: the loop sleeps differently, the store is untouched. */
        LOOP_WAIT,
        /** retry_timeout (and maybe loop_wait): the store's request deadline. */
        REQUEST_TIMEOUT,
        /** ttl: the store re-grants its lease (and takes the request deadline); also the first time. */
        LEASE
    }

    private final ClusterStore store;
    private final LockHold lock;
    private final Timing initial;
    private volatile Watchdog watchdog = Watchdog.NONE;

    // Touched by the HA loop's thread only (under its cycle lock).
    private Timing applied;      // null until the store has been told
    private Timing wanted;
    private Timing warnedAbout;

    /** @param bootstrap the file's timing, adjusted: what the loop runs with until the key is read */
    Retiming(ClusterStore store, LockHold lock, Timing bootstrap) {
        this.store = Objects.requireNonNull(store, "store");
        this.lock = Objects.requireNonNull(lock, "lock");
        this.initial = bootstrap.adjusted().timing();
        this.wanted = initial;
    }

    /** The pure rule: what bringing {@code applied} (null: the store was never told) to {@code wanted} takes. */
    static Step step(Timing applied, Timing wanted) {
        if (applied == null || applied.ttl() != wanted.ttl()) {
            return Step.LEASE;
        }
        if (applied.retryTimeout() != wanted.retryTimeout()) {
            return Step.REQUEST_TIMEOUT;
        }
        return applied.loopWait() != wanted.loopWait() ? Step.LOOP_WAIT : Step.NONE;
    }

    void setWatchdog(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** The timing the loop runs with now. */
    Timing applied() {
        return applied != null ? applied : initial;
    }

    /**
     * Notes the timing of the configuration just read (adjusted, with a warning logged once per
     * distinct adjustment) for the next {@link #apply}, and returns that configuration with the
     * timing applied now.
     */
    DynamicConfig follow(DynamicConfig fromCluster) {
        Timing raw = fromCluster.timing();
        Timing.Adjusted a = raw.adjusted();
        if (a.changes().isEmpty()) {
            warnedAbout = null;
        } else if (!raw.equals(warnedAbout)) {
            warnedAbout = raw;
            a.changes().forEach(c -> LOG.warning("config key: " + c.message()));
        }
        wanted = a.timing();
        return fromCluster.withTiming(applied());
    }

    /**
     * At the start of a cycle: applies the timing {@link #follow} noted. Throws
     * {@link dev.baton.leader.StoreUnavailableException} if the store cannot be reached; then
     * nothing counts as applied.
     *
     * @param paused maintenance mode: the fences stay disarmed
     * @return the step taken
     */
    Step apply(boolean paused) {
        Timing target = wanted;
        Step step = step(applied, target);
        if (step == Step.REQUEST_TIMEOUT || step == Step.LEASE) {
            Optional<LeaseRenewal> regranted = store.retime(target.ttl(), Duration.ofSeconds(target.retryTimeout()));
            regranted.ifPresent(r -> shortenHold(r, target, paused));
        }
        Timing before = applied;
        applied = target;
        if (before != null && step != Step.NONE) {
            LOG.info("following the cluster's timing: ttl " + target.ttl() + " s, loop_wait " + target.loopWait()
                    + " s, retry_timeout " + target.retryTimeout() + " s (was " + before.ttl() + "/"
                    + before.loopWait() + "/" + before.retryTimeout() + ")");
        }
        if (step == Step.LEASE && before != null) {
            watchdog.leaseTtlChanged(target.ttl());   // at start the watchdog was set up for this ttl
        }
        return step;
    }

    /** The key now hangs on the lease {@code r}: hold the lock no longer than it makes sure of. */
    private void shortenHold(LeaseRenewal r, Timing t, boolean paused) {
        long held = lock.validUntil();
        if (held == 0) {
            return;
        }
        long sure = LeaseMath.sureUntil(r, t.loopWait(), t.retryTimeout());
        lock.hold(sure - held < 0 ? sure : held, paused);
    }
}
