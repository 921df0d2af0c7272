package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.services.elasticloadbalancing.ElasticLoadBalancingClient;
import software.amazon.awssdk.services.elasticloadbalancing.model.DescribeInstanceHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancing.model.Instance;
import software.amazon.awssdk.services.elasticloadbalancing.model.InstanceState;

/**
 * A classic ELB: DescribeInstanceHealth, RegisterInstancesWithLoadBalancer,
 * DeregisterInstancesFromLoadBalancer. Instances have no port here (the listeners have).
 */
final class ClassicElbTargets extends ApiTargets<ElasticLoadBalancingClient> {
    /** Errors of a deregistration that mean "not registered (any more)". */
    private static final Set<String> ALREADY_GONE = Set.of("InvalidInstance");

    private final String loadBalancer;

    ClassicElbTargets(ElasticLoadBalancingClient client, String loadBalancer, RoutingMetrics metrics) {
        super(client, metrics);
        this.loadBalancer = Objects.requireNonNull(loadBalancer, "loadBalancer");
    }

    @Override
    public String name() {
        return "classic load balancer " + loadBalancer;
    }

    @Override
    public List<Target> describe() throws RoutingCallException {
        DescribeInstanceHealthResponse r = call("DescribeInstanceHealth",
                () -> client.describeInstanceHealth(b -> b.loadBalancerName(loadBalancer)));
        List<Target> out = new ArrayList<>();
        for (InstanceState s : r.instanceStates()) {
            if (s.instanceId() != null) {
                out.add(new Target(s.instanceId(), null, Target.State.ofClassic(s.state()), s.reasonCode()));
            }
        }
        return out;
    }

    @Override
    public void register(String id, int port) throws RoutingCallException {
        call("RegisterInstancesWithLoadBalancer", () -> client.registerInstancesWithLoadBalancer(
                b -> b.loadBalancerName(loadBalancer).instances(Instance.builder().instanceId(id).build())));
    }

    @Override
    public void deregister(List<Target> targets) throws RoutingCallException {
        List<Instance> list = new ArrayList<>();
        for (Target t : targets) {
            list.add(Instance.builder().instanceId(t.id()).build());
        }
        deregister("DeregisterInstancesFromLoadBalancer", ALREADY_GONE,
                () -> client.deregisterInstancesFromLoadBalancer(b -> b.loadBalancerName(loadBalancer).instances(list)));
    }
}
