package dev.baton.agent.ha;

/**
 * A fencing watchdog outside the agent's own threads: while this node is the primary, the HA loop
 * arms it after every successful lease renewal with the instant (monotonic, {@link System#nanoTime()}
 * scale) until which the lease is certain. If no new arming arrives before that instant, or the
 * agent's process dies while armed, the watchdog stops postgres from accepting writes.
 * Implementations must never block the loop.
 */
public interface Watchdog extends AutoCloseable {

    /**
     * Gets ready without arming, when the agent starts: a watchdog process is started (or its
     * service connected) now, so that the first {@link #arm}, on a promotion, pays for no process
     * start. Must not block.
     */
    default void prepare() {
    }

    /** Arms (or moves) the deadline. */
    void arm(long deadlineNanos);

    /** Disarms: graceful demotion, shutdown, pause, or not the primary. */
    void disarm();

    /**
     * The lease ttl changed (the cluster's {@code config} key). The deadlines of {@link #arm}
     * follow it by themselves; a watchdog with a timeout of its own (a Linux device) checks that
     * timeout against the new ttl.
     */
    default void leaseTtlChanged(int ttlSeconds) {
    }

    /** Disarms and releases the watchdog. */
    @Override
    void close();

    /** No watchdog. */
    Watchdog NONE = new Watchdog() {
        @Override
        public void arm(long deadlineNanos) {
        }

        @Override
        public void disarm() {
        }

        @Override
        public void close() {
        }
    };
}
