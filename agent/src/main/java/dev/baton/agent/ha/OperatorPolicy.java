package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import java.util.Optional;

/**
 * The preconditions of the operator actions on the REST API ({@code POST /restart}, {@code /reload},
 * {@code /reinitialize}), as pure functions returning the refusal, with Patroni's status codes:
 * 412 when the request's own conditions do not hold, 503 when this member cannot do it now.
 */
public final class OperatorPolicy {

    private OperatorPolicy() {
    }

    /** The outcome of an operator action: an HTTP-like status and a message. */
    public record Result(int status, String message) {
    }

    /** The role a restart may be limited to ({@code role} in the request; Patroni's names). */
    public enum RoleFilter {
        ANY, PRIMARY, REPLICA;

        /** Parses the request's {@code role} (null: any; {@code master} is primary); empty if not a role. */
        public static Optional<RoleFilter> parse(String role) {
            if (role == null || role.equals("any")) {
                return Optional.of(ANY);
            }
            return switch (role) {
                case "primary", "master" -> Optional.of(PRIMARY);
                case "replica" -> Optional.of(REPLICA);
                default -> Optional.empty();
            };
        }
    }

    /** What the member currently runs as, in the words of the refusal. */
    static String current(PgStatus st) {
        return st.running() ? (st.inRecovery() ? "replica" : "primary") : "stopped";
    }

    public static Optional<Result> refuseRestart(PgStatus st, RoleFilter role, boolean pendingOnly) {
        String current = current(st);
        if (role != RoleFilter.ANY && !role.name().toLowerCase(java.util.Locale.ROOT).equals(current)) {
            return Optional.of(new Result(412, "restart conditions are not satisfied: this member is " + current
                    + ", not " + role.name().toLowerCase(java.util.Locale.ROOT)));
        }
        if (pendingOnly && !st.pendingRestart()) {
            return Optional.of(new Result(412, "restart conditions are not satisfied: no restart is pending"));
        }
        if (!st.running()) {
            return Optional.of(new Result(503, "postgres is not running here; the HA loop starts it"));
        }
        return Optional.empty();
    }

    public static Optional<Result> refuseReload(boolean postmasterAlive) {
        return postmasterAlive ? Optional.empty() : Optional.of(new Result(503, "postgres is not running here"));
    }

    /**
     * A leader never wipes its own data: neither while it is sure of its lease nor while the key
     * it last read names it.
     */
    public static Optional<Result> refuseReinitialize(boolean holdsLock, boolean leaderKeyNamesMe) {
        return holdsLock || leaderKeyNamesMe
                ? Optional.of(new Result(503, "I am the leader, can not reinitialize")) : Optional.empty();
    }

    /** Another long action runs: nothing else may start. */
    public static Optional<Result> refuseWhileBusy(LongAction.Running busy) {
        return busy == null ? Optional.empty()
                : Optional.of(new Result(503, busy.description() + " is in progress; try again later"));
    }
}
