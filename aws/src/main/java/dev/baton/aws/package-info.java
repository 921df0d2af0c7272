/**
 * AWS integration: keeps an ELB/NLB pointed at the primary and provisions EC2 clusters. It plugs
 * into the agent through a small routing interface and is the only module that knows the AWS SDK.
 * Not implemented yet: the module exists so that the build has its final shape.
 */
package dev.baton.aws;
