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

    /**
     * The conditions of {@code POST /restart} (Patroni's body without {@code schedule}).
     *
     * @param role            only if this member has that role
     * @param pendingOnly     only if a changed parameter waits for a restart ({@code restart_pending})
     * @param postgresVersion only if the running PostgreSQL is older than this ({@code postgres_version},
     *                        as given, e.g. 16.4 or 9.6.24), or null
     * @param timeoutSeconds  how long starting postgres again may take ({@code timeout}), or null: the
     *                        cluster's {@code primary_start_timeout} (at least 60 s)
     */
    public record RestartRequest(RoleFilter role, boolean pendingOnly, String postgresVersion, Integer timeoutSeconds) {
        public RestartRequest {
            role = role == null ? RoleFilter.ANY : role;
            if (postgresVersion != null && postgresVersionNumber(postgresVersion).isEmpty()) {
                throw new IllegalArgumentException("not a PostgreSQL version: " + postgresVersion);
            }
            if (timeoutSeconds != null && timeoutSeconds <= 0) {
                throw new IllegalArgumentException("timeout must be positive: " + timeoutSeconds);
            }
        }

        /** Only a role and the pending flag (null role: any). */
        public static RestartRequest of(String role, boolean pendingOnly) {
            RoleFilter filter = RoleFilter.parse(role)
                    .orElseThrow(() -> new IllegalArgumentException("role must be primary, replica or any; got \"" + role + "\""));
            return new RestartRequest(filter, pendingOnly, null, null);
        }
    }

    /**
     * Patroni's {@code postgres_version_to_int}: MAJOR.MINOR from 10 on (16.4 is 160004),
     * MAJOR.MINOR.PATCH before (9.6.24 is 90624); empty for anything else.
     */
    public static java.util.OptionalInt postgresVersionNumber(String text) {
        if (text == null || !text.matches("\\d{1,2}(\\.\\d{1,2}){1,2}")) {
            return java.util.OptionalInt.empty();
        }
        String[] p = text.split("\\.");
        int major = Integer.parseInt(p[0]);
        if (p.length == 2 && major >= 10) {
            return java.util.OptionalInt.of(major * 10000 + Integer.parseInt(p[1]));
        }
        if (p.length == 3 && major < 10) {
            return java.util.OptionalInt.of(major * 10000 + Integer.parseInt(p[1]) * 100 + Integer.parseInt(p[2]));
        }
        return java.util.OptionalInt.empty();
    }

    /**
     * Why the request's own conditions do not hold for this postgres (Patroni's
     * {@code restart_matches}), or empty when they do.
     */
    public static Optional<String> restartMismatch(PgStatus st, RestartRequest req) {
        String current = current(st);
        if (req.role() != RoleFilter.ANY && !req.role().name().toLowerCase(java.util.Locale.ROOT).equals(current)) {
            return Optional.of("this member is " + current + ", not " + req.role().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (req.postgresVersion() != null && st.serverVersion() > 0
                && postgresVersionNumber(req.postgresVersion()).getAsInt() <= st.serverVersion()) {
            return Optional.of("PostgreSQL " + versionText(st.serverVersion()) + " is not older than "
                    + req.postgresVersion());
        }
        if (req.pendingOnly() && !st.pendingRestart()) {
            return Optional.of("no restart is pending");
        }
        return Optional.empty();
    }

    /** 160004 as 16.4, 90624 as 9.6.24. */
    static String versionText(int v) {
        return v < 100000 ? v / 10000 + "." + v / 100 % 100 + "." + v % 100 : v / 10000 + "." + v % 100;
    }

    /** The refusal of a restart now: its conditions (412), or postgres is not running (503). */
    public static Optional<Result> refuseRestart(PgStatus st, RestartRequest req) {
        return refuseRestart(st, req, false);
    }

    /**
     * As {@link #refuseRestart(PgStatus, RestartRequest)}; {@code paused}: a postgres that is not
     * running is started (as Patroni's restart does), since in maintenance mode the loop does not.
     */
    public static Optional<Result> refuseRestart(PgStatus st, RestartRequest req, boolean paused) {
        if (!st.running() && paused) {
            return req.role() == RoleFilter.ANY && !req.pendingOnly() && req.postgresVersion() == null
                    ? Optional.empty()
                    : Optional.of(new Result(412, "restart conditions are not satisfied: postgres is not running, "
                    + "so its role, version and pending restart are not known"));
        }
        Optional<String> mismatch = restartMismatch(st, req);
        if (mismatch.isPresent()) {
            return Optional.of(new Result(412, "restart conditions are not satisfied: " + mismatch.get()));
        }
        if (!st.running()) {
            return Optional.of(new Result(503, "postgres is not running here; the HA loop starts it"));
        }
        return Optional.empty();
    }

    public static Optional<Result> refuseRestart(PgStatus st, RoleFilter role, boolean pendingOnly) {
        return refuseRestart(st, new RestartRequest(role, pendingOnly, null, null));
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

    /**
     * What {@code POST /reinitialize} with {@code force} may cancel (Patroni cancels the running
     * async action): what only concerns this replica's own copy, which the reinitialize discards
     * anyway. Never a promotion or its fencing, a switchover, a bootstrap or a primary's start.
     */
    public static boolean cancellableByForce(LongAction action) {
        return switch (action) {
            case CLONE, START_REPLICA, REWIND, RESTART, RELOAD, REINITIALIZE -> true;
            default -> false;
        };
    }

    /** Another long action runs: nothing else may start. */
    public static Optional<Result> refuseWhileBusy(LongAction.Running busy) {
        return busy == null ? Optional.empty()
                : Optional.of(new Result(503, busy.description() + " is in progress; try again later"));
    }
}
