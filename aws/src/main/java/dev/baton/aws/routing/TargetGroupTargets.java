package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/** An ELBv2 target group (NLB, ALB): DescribeTargetHealth, RegisterTargets, DeregisterTargets. */
final class TargetGroupTargets extends ApiTargets<ElasticLoadBalancingV2Client> {
    /** Errors of a deregistration that mean "not registered (any more)": the goal is reached. */
    private static final Set<String> ALREADY_GONE = Set.of("InvalidTarget");

    private final String arn;
    private final String name;

    TargetGroupTargets(ElasticLoadBalancingV2Client client, String arn, RoutingMetrics metrics) {
        super(client, metrics);
        this.arn = Objects.requireNonNull(arn, "arn");
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
        DescribeTargetHealthResponse r = call("DescribeTargetHealth",
                () -> client.describeTargetHealth(b -> b.targetGroupArn(arn)));
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
        call("RegisterTargets", () -> client.registerTargets(
                b -> b.targetGroupArn(arn).targets(TargetDescription.builder().id(id).port(port).build())));
    }

    @Override
    public void deregister(List<Target> targets) throws RoutingCallException {
        List<TargetDescription> list = new ArrayList<>();
        for (Target t : targets) {
            list.add(TargetDescription.builder().id(t.id()).port(t.port()).build());
        }
        deregister("DeregisterTargets", ALREADY_GONE,
                () -> client.deregisterTargets(b -> b.targetGroupArn(arn).targets(list)));
    }
}
