package dev.baton.agent.ha;

import dev.baton.leader.model.Role;

/**
 * What the HA loop reports besides its state (callbacks, metrics, load-balancer routing); all
 * methods are optional. Called on the loop's or a long action's thread: implementations must
 * return quickly, and the role may have changed again by the time they run.
 */
public interface HaListener {
    /** postgres was started in {@code role} (primary or replica). */
    default void started(Role role) {
    }

    /** postgres was stopped; it had {@code role}. */
    default void stopped(Role role) {
    }

    /** postgres changed role without a restart (promotion) or by a demotion. */
    default void roleChanged(Role newRole) {
    }

    /** A cycle ended with {@code sentence} after {@code nanos}. */
    default void cycleFinished(long nanos, String sentence) {
    }

    /** The fence stopped postgres because the lease could not be confirmed in time. */
    default void fenced() {
    }

    /**
     * Before promoting after a failover, this node tried to fence the old primary; {@code outcome}
     * is what it found: fenced, not_running, not_primary, unreachable or refused.
     */
    default void fencedBeforePromotion(String outcome) {
    }

    /**
     * postgres was reloaded (pg_ctl reload) with a rewritten configuration: {@code POST /reload},
     * a changed dynamic configuration, a replica re-pointed; it runs in {@code role}.
     */
    default void reloaded(Role role) {
    }

    /**
     * postgres was stopped to be restarted in {@code role} ({@code POST /restart}, a scheduled
     * restart): by default the same as {@link #stopped}. Callbacks skip on_stop here, as Patroni.
     */
    default void stoppedForRestart(Role role) {
        stopped(role);
    }

    /**
     * postgres runs again after {@link #stoppedForRestart}: by default the same as
     * {@link #started}. Callbacks fire on_restart here instead of on_start, as Patroni.
     */
    default void restarted(Role role) {
        started(role);
    }

    HaListener NONE = new HaListener() { };
}
