package dev.baton.leader.model;

import java.util.Locale;

/**
 * What a member's postgres runs as, with Patroni's wire names ({@code role} in a member key and
 * on the REST API). Patroni 3 writes {@code master} for a primary; it is read as {@link #PRIMARY}.
 */
public enum Role {
    PRIMARY("primary"),
    REPLICA("replica"),
    STANDBY_LEADER("standby_leader"),
    DEMOTED("demoted"),
    UNINITIALIZED("uninitialized"),
    /** Absent or not a role Baton knows. */
    UNKNOWN("unknown");

    private final String wire;

    Role(String wire) {
        this.wire = wire;
    }

    /** The name as written in member keys and REST answers. */
    public String wire() {
        return wire;
    }

    /** Parses a wire name; {@code master} is {@link #PRIMARY}; anything else unknown is {@link #UNKNOWN}. */
    public static Role parse(String text) {
        if (text == null) {
            return UNKNOWN;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("master")) {
            return PRIMARY;
        }
        for (Role r : values()) {
            if (r.wire.equals(t)) {
                return r;
            }
        }
        return UNKNOWN;
    }

    @Override
    public String toString() {
        return wire;
    }
}
