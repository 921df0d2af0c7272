package dev.baton.aws.routing;

import java.util.List;

/**
 * One load balancer's targets through the AWS API: an ELBv2 target group or a classic ELB. Each
 * call blocks for at most the configured call timeout, is made once (the router retries), and is
 * idempotent in effect: registering a registered target or deregistering one that is already gone
 * changes nothing.
 */
interface TargetSet extends AutoCloseable {

    /** For log lines: "target group pg" or "classic load balancer pg". */
    String name();

    /** Every target the load balancer knows, with its health (DescribeTargetHealth / DescribeInstanceHealth). */
    List<Target> describe() throws RoutingCallException;

    /** Registers {@code id} (on {@code port} where the load balancer takes a port). */
    void register(String id, int port) throws RoutingCallException;

    /** Deregisters these targets; ones already gone are no error. */
    void deregister(List<Target> targets) throws RoutingCallException;

    @Override
    default void close() {
    }
}
