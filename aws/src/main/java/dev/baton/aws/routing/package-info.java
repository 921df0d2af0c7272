/**
 * Keeps ELBv2 target groups and classic ELBs routed to the primary through the AWS SDK v2:
 * {@link dev.baton.aws.routing.AwsRouting} builds an {@link dev.baton.aws.routing.AwsRouter} (its
 * own thread, newest-desired-state, retries with backoff, reconciliation), which plans each change
 * with the pure {@code RoutingPlan} and makes it through a {@code TargetSet} (one per load
 * balancer). The member's identity comes from IMDSv2 ({@code InstanceMetadata}). docs/aws.md
 * explains the modes.
 */
package dev.baton.aws.routing;
