package dev.baton.agent.ha;

import dev.baton.leader.model.MemberState;

/**
 * The actions that may take longer than a cycle and therefore run on the one long-action slot
 * ({@link LongActionSlot}) while the loop keeps renewing its lease and reports "... in progress".
 * Patroni keeps these as strings in its AsyncExecutor; here they are a closed set, and the member
 * state shown while one runs is part of the table.
 */
public enum LongAction {
    BOOTSTRAP("bootstrap (initdb)", MemberState.INITIALIZING_NEW_CLUSTER),
    /** A new cluster restored from the backup repository: restore, recovery to the target, promotion. */
    RESTORE_BOOTSTRAP("bootstrap from the backup repository", MemberState.INITIALIZING_NEW_CLUSTER),
    /** A new cluster made by a custom bootstrap method's command, then its recovery and promotion. */
    CUSTOM_BOOTSTRAP("custom bootstrap", MemberState.INITIALIZING_NEW_CLUSTER),
    CLONE("clone from", MemberState.CREATING_REPLICA),
    START_PRIMARY("start as primary", MemberState.STARTING),
    START_REPLICA("start as replica", MemberState.STARTING),
    REWIND("rewind from", MemberState.REWINDING),
    PROMOTE("promote", MemberState.STARTING),
    /** Fence before promote: the old primary is made to stop acknowledging commits (then the promotion follows). */
    FENCE("promoting: fencing", MemberState.STARTING),
    /** Drain before promote: the WAL the fenced old primary flushed is received (then the promotion follows). */
    DRAIN("promoting: draining WAL from", MemberState.STARTING),
    /** A planned switchover: stop cleanly, wait for a replica to confirm the shutdown checkpoint, release the key. */
    HANDOVER("switchover", MemberState.STOPPED),
    RESTART("restart", MemberState.STARTING),
    RELOAD("reload", MemberState.STARTING),
    REINITIALIZE("reinitialize", MemberState.STARTING);

    private final String label;
    private final MemberState state;

    LongAction(String label, MemberState state) {
        this.label = label;
        this.state = state;
    }

    /** The member state published while this action runs. */
    public MemberState memberState() {
        return state;
    }

    /**
     * Whether the member state is {@code running} once postgres answers queries while this action
     * still runs, as Patroni's is: its state follows postgres ({@code starting} until it answers),
     * so a stand-alone node that bootstrapped says {@code running} while it still creates its roles,
     * and a reload leaves a node {@code running}. A clone, a rewind, a switchover, a restart and a
     * restore from the repository keep their own state (postgres is down or going down, or not yet
     * the data to serve); so does a promotion after a failover (fence, drain, promote): other members
     * wait for its end before they follow the new leader.
     */
    public boolean runningOncePostgresAnswers() {
        return switch (this) {
            case BOOTSTRAP, START_PRIMARY, START_REPLICA, RELOAD -> true;
            case RESTORE_BOOTSTRAP, CUSTOM_BOOTSTRAP, CLONE, REWIND, HANDOVER, RESTART, REINITIALIZE, PROMOTE, FENCE, DRAIN -> false;
        };
    }

    /**
     * Whether the action stops postgres on purpose while this node keeps the leader key: the
     * primary_start_timeout clock must not release the key meanwhile. A restore bootstrap counts:
     * postgres is down (restoring, then recovering) for as long as the backup is big; so does a
     * custom bootstrap (its command, then the recovery it asks for), and a clone, which a key holder
     * runs only to bootstrap a standby cluster from its remote primary.
     */
    public boolean stopsPostgresOnPurpose() {
        return this == RESTART || this == HANDOVER || this == RESTORE_BOOTSTRAP || this == CUSTOM_BOOTSTRAP
                || this == CLONE;
    }

    /** One running action: which, and about whom (a leader's name, a candidate; may be null). */
    public record Running(LongAction action, String target) {
        /** "clone from node1", "start as primary", "switchover to node2": the words of "... in progress". */
        public String description() {
            if (target == null) {
                return action.label;
            }
            return action == HANDOVER ? action.label + " to " + target : action.label + " " + target;
        }

        /**
         * The sentence of a cycle while it runs: "clone from node1 in progress"; a fence or a drain
         * says what it does ("promoting: fencing node1 (over sql)").
         */
        public String sentence() {
            return action == FENCE || action == DRAIN ? description() : description() + " in progress";
        }

        public boolean is(LongAction a) {
            return action == a;
        }
    }

    /** This action about {@code target}. */
    public Running on(String target) {
        return new Running(this, target);
    }

    /** This action about no one in particular. */
    public Running running() {
        return new Running(this, null);
    }
}
