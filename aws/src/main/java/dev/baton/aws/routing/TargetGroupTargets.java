package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/** An ELBv2 target group (NLB, ALB): DescribeTargetHealth, RegisterTargets, DeregisterTargets. */
final class TargetGroupTargets implements TargetSet {
    /** Errors of a deregistration that mean "not registered (any more)": the goal is reached. */
    private static final Set<String> ALREADY_GONE = Set.of("InvalidTarget");

    private final ElasticLoadBalancingV2Client client;
    private final String arn;
    private final String name;
    private final RoutingMetrics metrics;

    TargetGroupTargets(ElasticLoadBalancingV2Client client, String arn, RoutingMetrics metrics) {
        this.client = Objects.requireNonNull(client, "client");
        this.arn = Objects.requireNonNull(arn, "arn");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.name = "target group " + shortName(arn);
    }

    /** "arn:...:targetgroup/pg/73e2d6bc24d8a067" gives "pg"; anything else is kept whole. */
    static String shortName(String arn) {
        int i = arn.indexOf(":targetgroup/");
        if (i < 0) {
            return arn;
        }
        String rest = arn.substring(i + ":targetgroup/".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Target> describe() throws RoutingCallException {
        DescribeTargetHealthResponse r;
        try {
            r = client.describeTargetHealth(b -> b.targetGroupArn(arn));
        } catch (SdkException e) {
            throw failed("DescribeTargetHealth", e);
        }
        metrics.apiCall("DescribeTargetHealth", "ok");
        List<Target> out = new ArrayList<>();
        for (TargetHealthDescription d : r.targetHealthDescriptions()) {
            if (d.target() == null || d.target().id() == null) {
                continue;
            }
            String state = d.targetHealth() == null ? null : d.targetHealth().stateAsString();
            String reason = d.targetHealth() == null ? null : d.targetHealth().reasonAsString();
            out.add(new Target(d.target().id(), d.target().port(), Target.State.ofElbv2(state), reason));
        }
        return out;
    }

    @Override
    public void register(String id, int port) throws RoutingCallException {
        try {
            client.registerTargets(b -> b.targetGroupArn(arn).targets(TargetDescription.builder().id(id).port(port).build()));
        } catch (SdkException e) {
            throw failed("RegisterTargets", e);
        }
        metrics.apiCall("RegisterTargets", "ok");
    }

    @Override
    public void deregister(List<Target> targets) throws RoutingCallException {
        List<TargetDescription> list = new ArrayList<>();
        for (Target t : targets) {
            list.add(TargetDescription.builder().id(t.id()).port(t.port()).build());
        }
        try {
            client.deregisterTargets(b -> b.targetGroupArn(arn).targets(list));
        } catch (SdkException e) {
            RoutingCallException f = failed("DeregisterTargets", e);
            if (!ALREADY_GONE.contains(f.code())) {
                throw f;
            }
            // Someone else (the new primary, the old one leaving) was quicker: the goal is reached.
            return;
        }
        metrics.apiCall("DeregisterTargets", "ok");
    }

    private RoutingCallException failed(String operation, SdkException e) {
        RoutingCallException f = RoutingCallException.from(operation, e);
        metrics.apiCall(operation, f.throttled() ? "throttled" : "error");
        return f;
    }

    @Override
    public void close() {
        client.close();
    }
}
