package dev.baton.agent.ha;

import dev.baton.config.DynamicConfig;
import java.util.function.Supplier;

/**
 * What the parts of the HA loop (the decision executor, promotion, rejoin, operator actions)
 * ask of the loop that owns them. {@link HaLoop} implements it once; tests may too.
 */
interface LoopContext {
    /** The cluster's dynamic configuration as last read (the bootstrap one before the first read). */
    DynamicConfig dynamic();

    HaListener listener();

    /** This member's tags in the cycle's configuration snapshot (a local reload may change them). */
    dev.baton.config.Tags tags();

    /** The lock is held until {@code until} (0: released), arming or disarming the fences. */
    void holdLock(long until);

    /** Whether this node holds the lock now. */
    boolean holdsLock();

    /** Forget the cached data directory reading: something changed on disk. */
    void dataDirChanged();

    /** Publish the local postgres state to the REST API now (not the member key). */
    void publishLocal();

    /**
     * Recovery just ended on this node's promotion: publish it to the REST API as the primary at
     * once (/primary answers 200 while the lock is held), then as {@link #publishLocal} reads it.
     */
    default void publishPromoted() {
        publishLocal();
    }

    /** The wall-clock time as Patroni writes it into history lines. */
    String now();

    /** Wake the HA loop for a cycle now. */
    void wakeUp();

    /** Whether the agent is shutting down (a failing long action then means nothing). */
    boolean shuttingDown();

    /** Runs {@code action} under the loop's cycle lock, so no cycle starts a long action meanwhile. */
    <T> T exclusively(Supplier<T> action);
}
