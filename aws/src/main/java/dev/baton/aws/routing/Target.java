package dev.baton.aws.routing;

import java.util.Locale;
import java.util.Objects;

/**
 * A load balancer target as the API reports it: an instance id (or an IP address in an ip target
 * group), the port (null for a classic ELB), its state and the reason code given with it.
 */
record Target(String id, Integer port, State state, String reason) {

    /** ELBv2 target health states; classic ELB's InService/OutOfService/Unknown map onto them. */
    enum State {
        INITIAL, HEALTHY, UNHEALTHY, UNHEALTHY_DRAINING, UNUSED, DRAINING, UNAVAILABLE, UNKNOWN;

        /** An ELBv2 {@code TargetHealth.State} ("unhealthy.draining" included). */
        static State ofElbv2(String s) {
            if (s == null) {
                return UNKNOWN;
            }
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "initial" -> INITIAL;
                case "healthy" -> HEALTHY;
                case "unhealthy" -> UNHEALTHY;
                case "unhealthy.draining" -> UNHEALTHY_DRAINING;
                case "unused" -> UNUSED;
                case "draining" -> DRAINING;
                case "unavailable" -> UNAVAILABLE;
                default -> UNKNOWN;
            };
        }

        /** A classic ELB {@code InstanceState.State}. */
        static State ofClassic(String s) {
            if (s == null) {
                return UNKNOWN;
            }
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "inservice" -> HEALTHY;
                case "outofservice" -> UNHEALTHY;
                default -> UNKNOWN;
            };
        }
    }

    Target {
        Objects.requireNonNull(id, "id");
        state = state == null ? State.UNKNOWN : state;
        reason = reason == null ? "" : reason;
    }

    /**
     * Registered and not on its way out: draining targets are being deregistered, and an
     * {@code unused} target with reason {@code Target.NotRegistered} is not registered at all.
     */
    boolean registered() {
        return switch (state) {
            case DRAINING, UNHEALTHY_DRAINING -> false;
            case UNUSED -> !"Target.NotRegistered".equals(reason);
            default -> true;
        };
    }

    boolean healthy() {
        return state == State.HEALTHY;
    }

    @Override
    public String toString() {
        return id + (port == null ? "" : ":" + port) + " (" + state.name().toLowerCase(Locale.ROOT) + ")";
    }
}
