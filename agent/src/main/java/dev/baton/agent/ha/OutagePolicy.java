package dev.baton.agent.ha;

import java.util.Locale;

/**
 * What a node does in a cycle in which the cluster store could not be reached (docs/architecture.md
 * § etcd outage), as a pure function. A primary that is no longer sure of its lease stops taking
 * writes before the lease can expire elsewhere (fail closed) and keeps serving reads as a standby
 * that follows no one; a paused cluster is left alone; everyone else waits.
 */
public final class OutagePolicy {

    private OutagePolicy() {
    }

    /** What to do. */
    public enum Action {
        /** Fence postgres (stop it at once), then start it read-only. */
        DEMOTE,
        /**
         * Fence postgres only: a long action runs (a promotion, a switchover's shutdown), and the
         * read-only start waits until it ended (then {@link #START_READ_ONLY}).
         */
        FENCE,
        /** A fenced former primary: start it read-only (a standby that follows no one). */
        START_READ_ONLY,
        NONE
    }

    /**
     * Everything the decision needs.
     *
     * @param runningAsPrimary postgres runs and accepts writes
     * @param postmasterAlive  a postmaster runs for the data directory
     * @param sure             this node is still sure of its lease (see {@link LeaseMath})
     * @param paused           the cluster is in maintenance mode (as last read)
     * @param fenced           the fence stopped postgres since the store was last read
     * @param busy             a long action runs
     * @param downForSeconds   how long the store has been unreachable
     * @param error            the store's error
     */
    public record Facts(boolean runningAsPrimary, boolean postmasterAlive, boolean sure, boolean paused,
                        boolean fenced, boolean busy, double downForSeconds, String error) {
    }

    public record Outcome(Action action, String sentence) {
    }

    public static Outcome decide(Facts f) {
        if (f.runningAsPrimary() && !f.sure() && !f.paused()) {
            return new Outcome(f.busy() ? Action.FENCE : Action.DEMOTE,
                    "demoted self because the cluster store is not accessible and I was the leader");
        }
        if (!f.postmasterAlive() && f.fenced() && !f.busy()) {
            return new Outcome(Action.START_READ_ONLY,
                    "started read-only after fencing: the cluster store is not accessible");
        }
        return new Outcome(Action.NONE, String.format(Locale.ROOT, "cluster store not accessible for %.1f s (%s); "
                + "no action as a %s", f.downForSeconds(), f.error(), f.sure() ? "leader whose lease is still valid"
                : f.postmasterAlive() ? "replica" : "stopped node"));
    }
}
