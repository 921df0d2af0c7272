/**
 * Load balancer routing, SDK-free: the {@link dev.baton.agent.routing.LoadBalancerRouter} port the
 * agent drives, the {@link dev.baton.agent.routing.RoutingListener} that maps the HA loop's role
 * changes to it without ever blocking the loop, and the routing metrics. The AWS implementation
 * lives in the aws module ({@code dev.baton.aws.routing}).
 */
package dev.baton.agent.routing;
