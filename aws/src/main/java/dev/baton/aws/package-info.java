/**
 * AWS integration, the only module that knows the AWS SDK: {@code routing} keeps an ELBv2 target
 * group or a classic ELB pointed at the primary (plugged into the agent through
 * {@code dev.baton.agent.routing.LoadBalancerRouter}), and {@code provision} creates, describes
 * and deletes clusters on EC2 for {@code baton aws}. Tests run the real SDK clients against the
 * in-repo AWS emulator ({@code dev.baton.aws.emulator}, in the test-jar).
 */
package dev.baton.aws;
