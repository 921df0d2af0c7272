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
    CLONE("clone from", MemberState.CREATING_REPLICA),
    START_PRIMARY("start as primary", MemberState.STARTING),
    START_REPLICA("start as replica", MemberState.STARTING),
    REWIND("rewind from", MemberState.REWINDING),
    PROMOTE("promote", MemberState.STARTING),
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
     * Whether the action stops postgres on purpose while this node keeps the leader key: the
     * primary_start_timeout clock must not release the key meanwhile.
     */
    public boolean stopsPostgresOnPurpose() {
        return this == RESTART || this == HANDOVER;
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
