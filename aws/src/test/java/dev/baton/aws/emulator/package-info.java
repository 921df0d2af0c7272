/**
 * An in-process emulator of the EC2, ELBv2 and classic ELB APIs that Baton uses, for tests: start
 * an {@link dev.baton.aws.emulator.AwsEmulator}, point the real SDK clients at its {@code
 * endpoint()} and drive it as AWS.
 *
 * <pre>{@code
 * try (AwsEmulator emu = AwsEmulator.start()) {
 *     String subnet = emu.addSubnet("us-east-1a", "10.0.1.0/24");
 *     Ec2Client ec2 = Ec2Client.builder().endpointOverride(emu.endpoint()).region(Region.of(emu.region()))
 *             .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
 *             .httpClient(UrlConnectionHttpClient.create()).build();
 *     ...
 *     emu.probeTargetsOverHttp(id -> agentUris.get(id), Duration.ofMillis(100));  // health follows /primary
 * }
 * }</pre>
 *
 * Lives in the aws module's test-jar so that the cli tests can use it too.
 */
package dev.baton.aws.emulator;
