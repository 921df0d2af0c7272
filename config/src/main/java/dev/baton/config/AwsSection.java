package dev.baton.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code aws}: the load balancer(s) to route, each name checked against AWS's syntax, and
 * the rules between values (a region that agrees with the ARN's, a region that can be known
 * without the instance metadata service when {@code instance_id} is given).
 */
final class AwsSection {
    private static final Pattern AWS_REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");
    private static final Pattern TARGET_GROUP_ARN = Pattern.compile(
            "arn:aws(-[a-z]+)*:elasticloadbalancing:([a-z0-9-]+):[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+");
    private static final Pattern CLASSIC_ELB_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    private static final Pattern IPV4 = Pattern.compile("([0-9]{1,3}\\.){3}[0-9]{1,3}");

    private AwsSection() {
    }

    /**
     * @param pg  the postgresql section (its listen port is the default target port)
     * @param env the process environment ({@code AWS_REGION}, {@code AWS_DEFAULT_REGION})
     */
    static AwsConfig read(ConfigNode n, PostgresConfig pg, Map<String, String> env) {
        String region = blankToNull(n.string("region", null));
        if (region != null && !AWS_REGION.matcher(region).matches()) {
            n.issues().error(n.path("region"), "must be an AWS region such as eu-west-1, got \"" + region + "\"");
            region = null;
        }
        String arn = blankToNull(n.string("target_group_arn", null));
        if (arn != null && !TARGET_GROUP_ARN.matcher(arn).matches()) {
            n.issues().error(n.path("target_group_arn"), "must be an ELBv2 target group ARN "
                    + "(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>), got \"" + arn + "\"");
            arn = null;
        }
        String lbName = blankToNull(n.string("load_balancer_name", null));
        if (lbName != null && !CLASSIC_ELB_NAME.matcher(lbName).matches()) {
            n.issues().error(n.path("load_balancer_name"), "must be a classic load balancer name (1 to 32 letters, "
                    + "digits and '-', not starting or ending with '-'), got \"" + lbName + "\"");
            lbName = null;
        }
        if (arn == null && lbName == null && !n.issues().hasError(n.path("target_group_arn"))
                && !n.issues().hasError(n.path("load_balancer_name"))) {
            n.issues().error(n.path(), "needs target_group_arn (an ELBv2 target group, e.g. of an NLB) or "
                    + "load_balancer_name (a classic ELB), or both");
        }
        AwsConfig.Mode mode = AwsConfig.Mode.BOTH;
        String modeText = n.string("mode", null);
        if (modeText != null) {
            mode = AwsConfig.Mode.parse(modeText);
            if (mode == null) {
                n.issues().error(n.path("mode"), "must be health-check, register or both, got \"" + modeText + "\"");
            }
        }
        String instanceId = blankToNull(n.string("instance_id", null));
        if (instanceId != null && !INSTANCE_ID.matcher(instanceId).matches() && !IPV4.matcher(instanceId).matches()) {
            n.issues().error(n.path("instance_id"), "must be an EC2 instance id such as i-0123456789abcdef0 "
                    + "(or the IPv4 address registered in an ip target group), got \"" + instanceId + "\"");
        }
        URI endpoint = httpUrl(n, "endpoint_url");
        URI metadata = httpUrl(n, "metadata_url");
        Integer port = n.integerOrNull("port");
        if (port != null && (port < 1 || port > 65535)) {
            n.issues().error(n.path("port"), "must be between 1 and 65535, got " + port);
        }
        if (port == null && pg.listen() != null) {
            port = pg.listenPort();
        }
        Duration callTimeout = seconds(n, "call_timeout", AwsConfig.DEFAULT_CALL_TIMEOUT, 1, 60);
        Duration reconcile = seconds(n, "reconcile_interval", AwsConfig.DEFAULT_RECONCILE_INTERVAL, 1, 3600);
        String arnRegion = AwsConfig.arnRegion(arn);
        if (region != null && arnRegion != null && !region.equals(arnRegion)) {
            n.issues().error(n.path("region"), "is " + region + " but target_group_arn is in " + arnRegion);
        }
        String envRegion = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        if (region == null && arnRegion == null && envRegion == null && instanceId != null
                && !n.issues().hasError(n.path("region"))) {
            n.issues().error(n.path("region"), "is required: with instance_id set Baton does not ask the instance "
                    + "metadata service, so set aws.region (or AWS_REGION)");
        }
        n.finish();
        return new AwsConfig(region, arn, lbName, mode, instanceId, endpoint, metadata, port == null ? 0 : port,
                callTimeout, reconcile);
    }

    static URI httpUrl(ConfigNode n, String key) {
        String s = blankToNull(n.string(key, null));
        if (s == null) {
            return null;
        }
        Optional<URI> u = HttpUrls.parse(s);
        if (u.isEmpty()) {
            n.issues().error(n.path(key), "must be an http:// or https:// URL with a host, got \"" + s + "\"");
        }
        return u.orElse(null);
    }

    static Duration seconds(ConfigNode n, String key, Duration def, int min, int max) {
        Integer v = n.integerOrNull(key);
        if (v == null) {
            return def;
        }
        if (v < min || v > max) {
            n.issues().error(n.path(key), "must be between " + min + " and " + max + " seconds, got " + v);
            return def;
        }
        return Duration.ofSeconds(v);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
    }
}
