package dev.baton.leader.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A member's state with Patroni's wire names ({@code state} in a member key and on the REST
 * API). Baton writes a subset; the rest are read from Patroni members of a mixed cluster.
 */
public enum MemberState {
    RUNNING("running"),
    STREAMING("streaming"),
    IN_ARCHIVE_RECOVERY("in archive recovery"),
    STARTING("starting"),
    STOPPING("stopping"),
    STOPPED("stopped"),
    RESTARTING("restarting"),
    CRASHED("crashed"),
    CREATING_REPLICA("creating replica"),
    INITIALIZING_NEW_CLUSTER("initializing new cluster"),
    INITDB_FAILED("initdb failed"),
    RUNNING_CUSTOM_BOOTSTRAP("running custom bootstrap script"),
    CUSTOM_BOOTSTRAP_FAILED("custom bootstrap failed"),
    REWINDING("rewinding"),
    REWIND_FAILED("rewind failed"),
    START_FAILED("start failed"),
    RESTART_FAILED("restart failed"),
    STOP_FAILED("stop failed"),
    /** Absent or not a state Baton knows. */
    UNKNOWN("unknown");

    private final String wire;

    MemberState(String wire) {
        this.wire = wire;
    }

    /** The name as written in member keys and REST answers. */
    public String wire() {
        return wire;
    }

    private static final Map<String, MemberState> BY_WIRE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(MemberState::wire, v -> v));

    /** Parses a wire name (any case); anything unknown is {@link #UNKNOWN}. */
    public static MemberState parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return BY_WIRE.getOrDefault(t, UNKNOWN);
    }

    /** Postgres runs and accepts connections (Patroni 4 reports a streaming replica as streaming). */
    public boolean isRunning() {
        return this == RUNNING || this == STREAMING;
    }

    @Override
    public String toString() {
        return wire;
    }
}
