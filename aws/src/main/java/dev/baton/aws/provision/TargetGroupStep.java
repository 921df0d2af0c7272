package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetTypeEnum;

/**
 * Step 2: the target group, TCP on PostgreSQL's port with an HTTPS health check of the REST API's
 * {@code /primary} (the agents serve HTTPS only; an NLB's HTTPS check does not verify the
 * certificate and presents none, hence {@code verify_client: optional} on the agents), and quick
 * draining. Its ARN goes into every agent's configuration, so it is
 * made before the instances. An existing group keeps its health check (a difference is reported);
 * its draining attributes are set.
 */
record TargetGroupStep(ElasticLoadBalancingV2Client elb, Progress progress) {

    /** Health check and draining settings of the target group (docs/aws.md). */
    static final String HEALTH_CHECK_PATH = "/primary";
    static final int HEALTH_CHECK_INTERVAL = 5;
    static final int HEALTH_CHECK_TIMEOUT = 3;
    static final int HEALTHY_THRESHOLD = 2;
    static final int UNHEALTHY_THRESHOLD = 2;
    static final int DEREGISTRATION_DELAY = 10;
    static final Map<String, String> TARGET_GROUP_ATTRIBUTES = Map.of(
            "deregistration_delay.timeout_seconds", Integer.toString(DEREGISTRATION_DELAY),
            "deregistration_delay.connection_termination.enabled", "true");

    /** What the plan reports: the group, or that it is missing. */
    static void plan(ProvisionReport report, String name, TargetGroup tg) {
        report.put("target-group", name, tg == null ? null : tg.targetGroupArn(),
                tg == null ? Status.MISSING : Status.EXISTS, "TCP " + ClusterSpec.PG_PORT + ", health check HTTPS "
                        + ClusterSpec.RESTAPI_PORT + " " + HEALTH_CHECK_PATH);
    }

    /** Makes the group if it is missing and sets its attributes; returns its ARN. */
    String apply(Plan plan) {
        ClusterSpec spec = plan.spec();
        String name = Names.resource(spec.name());
        TargetGroup tg = plan.inventory().targetGroup();
        boolean created = tg == null;
        if (tg == null) {
            tg = elb.createTargetGroup(r -> r.name(name).protocol(ProtocolEnum.TCP).port(ClusterSpec.PG_PORT)
                    .vpcId(plan.network().vpcId()).targetType(TargetTypeEnum.INSTANCE)
                    .healthCheckEnabled(true).healthCheckProtocol(ProtocolEnum.HTTPS)
                    .healthCheckPort(Integer.toString(ClusterSpec.RESTAPI_PORT)).healthCheckPath(HEALTH_CHECK_PATH)
                    .healthCheckIntervalSeconds(HEALTH_CHECK_INTERVAL).healthCheckTimeoutSeconds(HEALTH_CHECK_TIMEOUT)
                    .healthyThresholdCount(HEALTHY_THRESHOLD).unhealthyThresholdCount(UNHEALTHY_THRESHOLD)
                    .matcher(m -> m.httpCode("200")).tags(SdkTags.elb(spec.name()))).targetGroups().get(0);
            plan.report().put("target-group", name, tg.targetGroupArn(), Status.CREATED,
                    plan.report().get("target-group", name).detail());
        }
        String arn = tg.targetGroupArn();
        Map<String, String> have = new LinkedHashMap<>();
        for (TargetGroupAttribute a : elb.describeTargetGroupAttributes(r -> r.targetGroupArn(arn)).attributes()) {
            have.put(a.key(), a.value());
        }
        List<TargetGroupAttribute> change = new ArrayList<>();
        TARGET_GROUP_ATTRIBUTES.forEach((k, v) -> {
            if (!v.equals(have.get(k))) {
                change.add(TargetGroupAttribute.builder().key(k).value(v).build());
            }
        });
        if (!change.isEmpty()) {
            elb.modifyTargetGroupAttributes(r -> r.targetGroupArn(arn).attributes(change));
        }
        String drift = healthCheckDrift(tg);
        ClusterProvisioner.step(progress, 4, "target group " + name + ": " + (created ? "created " : "exists ") + arn
                + (drift.isEmpty() ? "" : " (its health check differs: " + drift + "; left as it is)"));
        return arn;
    }

    /** How an existing target group's health check differs from Baton's, or "". */
    static String healthCheckDrift(TargetGroup tg) {
        List<String> d = new ArrayList<>();
        if (tg.healthCheckProtocol() != ProtocolEnum.HTTPS) {
            d.add("protocol " + tg.healthCheckProtocolAsString() + " (the agents serve HTTPS only)");
        }
        if (!HEALTH_CHECK_PATH.equals(tg.healthCheckPath())) {
            d.add("path " + tg.healthCheckPath());
        }
        if (!Integer.toString(ClusterSpec.RESTAPI_PORT).equals(tg.healthCheckPort())) {
            d.add("port " + tg.healthCheckPort());
        }
        if (!Objects.equals(tg.healthCheckIntervalSeconds(), HEALTH_CHECK_INTERVAL)) {
            d.add("interval " + tg.healthCheckIntervalSeconds());
        }
        if (!Objects.equals(tg.healthyThresholdCount(), HEALTHY_THRESHOLD)
                || !Objects.equals(tg.unhealthyThresholdCount(), UNHEALTHY_THRESHOLD)) {
            d.add("thresholds " + tg.healthyThresholdCount() + "/" + tg.unhealthyThresholdCount());
        }
        return String.join(", ", d);
    }
}
