package dev.baton.agent.routing;

/**
 * Points a load balancer at this member while it is the primary, and away from it otherwise.
 *
 * <p>Every method returns at once: it records the newest desired state and leaves the work (API
 * calls, retries, verification) to the implementation's own thread. Only the newest desired
 * state matters; a change that is still being retried when the desired state flips again is
 * abandoned. Like Curator's {@code LeaderLatchListener}, callers must expect that the state may
 * have changed again by the time the load balancer follows: the implementation keeps comparing the
 * load balancer with the newest desired state, it does not fire and forget.
 *
 * <p>Nothing here may ever delay the HA loop: no method blocks on I/O, and failures are logged and
 * counted, never thrown.
 */
public interface LoadBalancerRouter extends AutoCloseable {

    /** This member is now the lock-holding primary: route clients to it, and only to it. */
    void primary();

    /** This member is not (or no longer) the primary: take it out of the write path. */
    void notPrimary();

    /** What the router last knew; reads memory only. */
    RoutingStatus status();

    /**
     * Stops the router. An implementation may spend a bounded time (a few seconds at most) on a
     * last change, e.g. taking a member that shuts down out of the load balancer.
     */
    @Override
    void close();

    /** A router that does nothing (no {@code aws} section). */
    LoadBalancerRouter NONE = new LoadBalancerRouter() {
        @Override
        public void primary() {
        }

        @Override
        public void notPrimary() {
        }

        @Override
        public RoutingStatus status() {
            return RoutingStatus.none();
        }

        @Override
        public void close() {
        }
    };
}
