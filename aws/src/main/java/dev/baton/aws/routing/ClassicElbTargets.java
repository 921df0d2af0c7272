package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.elasticloadbalancing.ElasticLoadBalancingClient;
import software.amazon.awssdk.services.elasticloadbalancing.model.DescribeInstanceHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancing.model.Instance;
import software.amazon.awssdk.services.elasticloadbalancing.model.InstanceState;

/**
 * A classic ELB: DescribeInstanceHealth, RegisterInstancesWithLoadBalancer,
 * DeregisterInstancesFromLoadBalancer. Instances have no port here (the listeners have).
 */
final class ClassicElbTargets implements TargetSet {
    /** Errors of a deregistration that mean "not registered (any more)". */
    private static final Set<String> ALREADY_GONE = Set.of("InvalidInstance");

    private final ElasticLoadBalancingClient client;
    private final String loadBalancer;
    private final RoutingMetrics metrics;

    ClassicElbTargets(ElasticLoadBalancingClient client, String loadBalancer, RoutingMetrics metrics) {
        this.client = Objects.requireNonNull(client, "client");
        this.loadBalancer = Objects.requireNonNull(loadBalancer, "loadBalancer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public String name() {
        return "classic load balancer " + loadBalancer;
    }

    @Override
    public List<Target> describe() throws RoutingCallException {
        DescribeInstanceHealthResponse r;
        try {
            r = client.describeInstanceHealth(b -> b.loadBalancerName(loadBalancer));
        } catch (SdkException e) {
            throw failed("DescribeInstanceHealth", e);
        }
        metrics.apiCall("DescribeInstanceHealth", "ok");
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
        try {
            client.registerInstancesWithLoadBalancer(b -> b.loadBalancerName(loadBalancer)
                    .instances(Instance.builder().instanceId(id).build()));
        } catch (SdkException e) {
            throw failed("RegisterInstancesWithLoadBalancer", e);
        }
        metrics.apiCall("RegisterInstancesWithLoadBalancer", "ok");
    }

    @Override
    public void deregister(List<Target> targets) throws RoutingCallException {
        List<Instance> list = new ArrayList<>();
        for (Target t : targets) {
            list.add(Instance.builder().instanceId(t.id()).build());
        }
        try {
            client.deregisterInstancesFromLoadBalancer(b -> b.loadBalancerName(loadBalancer).instances(list));
        } catch (SdkException e) {
            RoutingCallException f = failed("DeregisterInstancesFromLoadBalancer", e);
            if (!ALREADY_GONE.contains(f.code())) {
                throw f;
            }
            return;
        }
        metrics.apiCall("DeregisterInstancesFromLoadBalancer", "ok");
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
