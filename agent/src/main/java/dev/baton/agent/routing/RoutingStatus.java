package dev.baton.agent.routing;

/**
 * A router's last known state. Immutable.
 *
 * @param desired        "unknown", "primary", "not primary" or "leaving" (shutting down)
 * @param inSync         the last check found the load balancer as it should be for {@code desired}
 * @param registered     this member is a registered target (of every load balancer routed), or
 *                       null when not yet known
 * @param healthy        the load balancer reports this member healthy (on every load balancer
 *                       routed), or null when not yet known
 * @param detail         one sentence: the last change, or the last error
 * @param checkedAtNanos monotonic instant of the last completed check, 0 before the first
 */
public record RoutingStatus(String desired, boolean inSync, Boolean registered, Boolean healthy, String detail,
                            long checkedAtNanos) {

    /** The status of a router that does nothing. */
    public static RoutingStatus none() {
        return new RoutingStatus("unknown", true, null, null, "no load balancer routing configured", 0);
    }
}
