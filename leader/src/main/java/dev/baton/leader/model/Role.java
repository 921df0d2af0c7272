package dev.baton.leader.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

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

    private static final Map<String, Role> BY_WIRE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Role::wire, v -> v));

    /** Parses a wire name (any case); anything unknown is {@link #UNKNOWN}; {@code master} is {@link #PRIMARY}. */
    public static Role parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return t.equals("master") ? PRIMARY : BY_WIRE.getOrDefault(t, UNKNOWN);
    }

    @Override
    public String toString() {
        return wire;
    }
}
