package dev.baton.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code aws}: routes an AWS load balancer to the primary. Absent (null in {@link BatonConfig})
 * when the file has no {@code aws} section. At least one of {@code targetGroupArn} (an ELBv2
 * target group, e.g. behind an NLB) and {@code loadBalancerName} (a classic ELB) is set; with both,
 * both are routed. Credentials never come from here: the AWS SDK's standard chain provides them.
 *
 * @param region            AWS region, or null: then the target group ARN's region, else the
 *                          SDK's chain ({@code AWS_REGION}, ...), else the instance metadata service
 * @param targetGroupArn    ELBv2 target group ARN, or null
 * @param loadBalancerName  classic ELB name, or null
 * @param mode              how members are routed, see {@link Mode}
 * @param instanceId        this member's target id, or null to ask the instance metadata service
 * @param endpointUrl       endpoint for the EC2, ELBv2 and classic ELB APIs (an emulator, a VPC
 *                          endpoint), or null for the SDK's default (which honours {@code AWS_ENDPOINT_URL})
 * @param metadataUrl       base URL of the instance metadata service (IMDSv2)
 * @param port              the port registered with the target group (PostgreSQL's)
 * @param callTimeout       the limit on one AWS API call, including connecting
 * @param reconcileInterval how often the agent compares the load balancer with what it should be
 */
public record AwsConfig(String region, String targetGroupArn, String loadBalancerName, Mode mode, String instanceId,
        URI endpointUrl, URI metadataUrl, int port, Duration callTimeout, Duration reconcileInterval) {

    public static final URI DEFAULT_METADATA_URL = URI.create("http://169.254.169.254");
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_RECONCILE_INTERVAL = Duration.ofSeconds(10);

    /** {@code aws.mode}. docs/aws.md explains each and why {@code both} is the default. */
    public enum Mode {
        /**
         * Every member keeps itself registered; the load balancer's health check on
         * {@code /primary} alone decides. The agent never deregisters anyone.
         */
        HEALTH_CHECK("health-check"),
        /**
         * Only the primary is registered: a new primary registers itself and deregisters every
         * other target; a member that is not primary deregisters itself.
         */
        REGISTER("register"),
        /**
         * {@code register} plus the health check on {@code /primary} as a safety net: a new
         * primary makes itself the only registered target at once, and replicas register
         * themselves again (as stand-by targets) only while another target is healthy.
         */
        BOTH("both");

        private final String key;

        Mode(String key) {
            this.key = key;
        }

        /** The spelling in the configuration file. */
        public String key() {
            return key;
        }

        /** Parses a configuration value ({@code health_check} is accepted too); null if unknown. */
        public static Mode parse(String text) {
            String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Mode m : values()) {
                if (m.key.equals(s)) {
                    return m;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    public AwsConfig {
        if (mode == null) {
            mode = Mode.BOTH;
        }
        if (metadataUrl == null) {
            metadataUrl = DEFAULT_METADATA_URL;
        }
        if (callTimeout == null) {
            callTimeout = DEFAULT_CALL_TIMEOUT;
        }
        if (reconcileInterval == null) {
            reconcileInterval = DEFAULT_RECONCILE_INTERVAL;
        }
    }

    /** The region named by {@code targetGroupArn} (its fourth field), or null. */
    public String targetGroupRegion() {
        return arnRegion(targetGroupArn);
    }

    /** The region field of an ARN ({@code arn:partition:service:region:account:resource}), or null. */
    public static String arnRegion(String arn) {
        if (arn == null) {
            return null;
        }
        String[] parts = arn.split(":", 6);
        return parts.length == 6 && !parts[3].isEmpty() ? parts[3] : null;
    }
}
