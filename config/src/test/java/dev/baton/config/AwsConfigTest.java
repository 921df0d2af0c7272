package dev.baton.config;

import static dev.baton.config.ConfigLoaderTest.MINIMAL;
import static dev.baton.config.ConfigLoaderTest.errorPaths;
import static dev.baton.config.ConfigLoaderTest.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code aws} section: optional, and every mistake is reported with its key path. */
class AwsConfigTest {
    static final String ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pg/73e2d6bc24d8a067";

    private static String message(LoadResult r, String path) {
        return r.errors().stream().filter(e -> e.path().equals(path)).findFirst()
                .map(ConfigError::message).orElse("(no error at " + path + ": " + r.errors() + ")");
    }

    @Test
    void absentSectionMeansNoRouting() throws Exception {
        assertNull(load(MINIMAL).orThrow().aws());
        assertNull(load(MINIMAL + "aws:\n").orThrow().aws(), "a key without a value counts as not set");
    }

    @Test
    void defaults() throws Exception {
        AwsConfig a = load(MINIMAL + "aws: {target_group_arn: " + ARN + "}\n").orThrow().aws();
        assertEquals(ARN, a.targetGroupArn());
        assertNull(a.loadBalancerName());
        assertNull(a.region(), "the ARN's region is used at run time");
        assertEquals("eu-west-1", a.targetGroupRegion());
        assertEquals(AwsConfig.Mode.BOTH, a.mode());
        assertNull(a.instanceId());
        assertNull(a.endpointUrl());
        assertEquals(URI.create("http://169.254.169.254"), a.metadataUrl());
        assertEquals(5432, a.port(), "postgresql.listen's port");
        assertEquals(Duration.ofSeconds(3), a.callTimeout());
        assertEquals(Duration.ofSeconds(10), a.reconcileInterval());
    }

    @Test
    void everyKey() throws Exception {
        LoadResult r = load(MINIMAL + """
                aws:
                  region: eu-west-1
                  target_group_arn: %s
                  load_balancer_name: pg-classic
                  mode: health_check
                  instance_id: i-0123456789abcdef0
                  endpoint_url: http://127.0.0.1:4566
                  metadata_url: http://127.0.0.1:1338/
                  port: 6432
                  call_timeout: 2
                  reconcile_interval: 30
                """.formatted(ARN));
        assertTrue(r.warnings().stream().noneMatch(w -> w.path().startsWith("aws")), r.warnings().toString());
        assertEquals(new AwsConfig("eu-west-1", ARN, "pg-classic", AwsConfig.Mode.HEALTH_CHECK, "i-0123456789abcdef0",
                URI.create("http://127.0.0.1:4566"), URI.create("http://127.0.0.1:1338/"), 6432, Duration.ofSeconds(2),
                Duration.ofSeconds(30)), r.orThrow().aws());
        assertEquals(AwsConfig.Mode.REGISTER, load(MINIMAL + "aws: {load_balancer_name: pg, mode: register}\n")
                .orThrow().aws().mode());
        assertEquals(AwsConfig.Mode.HEALTH_CHECK, load(MINIMAL + "aws: {load_balancer_name: pg, mode: Health-Check}\n")
                .orThrow().aws().mode());
        assertEquals("10.0.0.11", load(MINIMAL + "aws: {target_group_arn: " + ARN + ", instance_id: 10.0.0.11}\n")
                .orThrow().aws().instanceId(), "an ip target group registers addresses");
    }

    @Test
    void everyMistakeWithItsPath() {
        LoadResult r = load(MINIMAL + """
                aws:
                  region: Europe
                  target_group_arn: arn:aws:elasticloadbalancing:eu-west-1:123:loadbalancer/net/x/1
                  load_balancer_name: -bad-
                  mode: dns
                  instance_id: web-1
                  endpoint_url: localhost:4566
                  metadata_url: ftp://169.254.169.254
                  port: 70000
                  call_timeout: 0
                  reconcile_interval: soon
                  credentials: {access_key: AKIA}
                """);
        assertFalse(r.ok());
        assertEquals(Set.of("aws.region", "aws.target_group_arn", "aws.load_balancer_name", "aws.mode",
                "aws.instance_id", "aws.endpoint_url", "aws.metadata_url", "aws.port", "aws.call_timeout",
                "aws.reconcile_interval"), errorPaths(r));
        assertEquals(r.errors().size(), errorPaths(r).size(), r.errors().toString());
        assertEquals("must be health-check, register or both, got \"dns\"", message(r, "aws.mode"));
        assertTrue(message(r, "aws.target_group_arn").startsWith("must be an ELBv2 target group ARN"));
        assertEquals("must be between 1 and 65535, got 70000", message(r, "aws.port"));
        assertEquals("must be between 1 and 60 seconds, got 0", message(r, "aws.call_timeout"));
        assertEquals("must be an integer, got \"soon\"", message(r, "aws.reconcile_interval"));
        assertTrue(r.warnings().stream().anyMatch(w -> w.path().equals("aws.credentials")),
                "credentials are not read from the file: " + r.warnings());
    }

    @Test
    void aTargetIsRequired() {
        LoadResult r = load(MINIMAL + "aws: {region: eu-west-1}\n");
        assertEquals(Set.of("aws"), errorPaths(r));
        assertTrue(message(r, "aws").startsWith("needs target_group_arn"), message(r, "aws"));
        assertEquals(Set.of("aws"), errorPaths(load(MINIMAL + "aws: {}\n")));
        assertEquals("must be a map, got 1", message(load(MINIMAL + "aws: 1\n"), "aws"));
        assertEquals(Set.of("aws"), errorPaths(load(MINIMAL + "aws: 1\n")), "one error, not one per missing key");
    }

    @Test
    void theRegionMustBeKnowable() {
        // instance_id set: no instance metadata service, so the region must come from the file or env.
        String yaml = MINIMAL + "aws: {load_balancer_name: pg, instance_id: i-0123456789abcdef0}\n";
        LoadResult r = load(yaml);
        assertEquals(Set.of("aws.region"), errorPaths(r));
        assertTrue(message(r, "aws.region").startsWith("is required"), message(r, "aws.region"));
        assertTrue(load(yaml, Map.of("AWS_REGION", "us-east-1")).ok());
        assertTrue(load(yaml, Map.of("AWS_DEFAULT_REGION", "us-east-1")).ok());
        // Without instance_id the metadata service gives the region; a target group ARN names it.
        assertTrue(load(MINIMAL + "aws: {load_balancer_name: pg}\n").ok());
        assertTrue(load(MINIMAL + "aws: {target_group_arn: " + ARN + ", instance_id: i-0123456789abcdef0}\n").ok());
        // The ARN and the region must agree.
        LoadResult clash = load(MINIMAL + "aws: {target_group_arn: " + ARN + ", region: us-east-1}\n");
        assertEquals("is us-east-1 but target_group_arn is in eu-west-1", message(clash, "aws.region"));
    }

    @Test
    void arnRegion() {
        assertEquals("eu-west-1", AwsConfig.arnRegion(ARN));
        assertNull(AwsConfig.arnRegion("nonsense"));
        assertNull(AwsConfig.arnRegion(null));
        assertEquals("cn-north-1", AwsConfig.arnRegion(
                "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/pg/0123abcd"));
    }
}
