package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Network;
import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerSchemeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.waiters.ElasticLoadBalancingV2Waiter;

/**
 * Steps 3, 4 and 8: the network load balancer (one subnet per zone), its TCP listener forwarding
 * PostgreSQL's port to the target group, and at the end the wait until it is active. A listener
 * on that port that forwards elsewhere stops the run: it is not Baton's to change.
 */
record LoadBalancerStep(ElasticLoadBalancingV2Client elb, Pacing pacing, Progress progress) {

    /** What the plan reports: the load balancer and its listener, or that they are missing. */
    static void plan(ProvisionReport report, ClusterSpec spec, LoadBalancer lb, Collection<Listener> listeners) {
        String name = Names.resource(spec.name());
        report.put("load-balancer", name, lb == null ? null : lb.loadBalancerArn(),
                lb == null ? Status.MISSING : Status.EXISTS, lb == null ? scheme(spec).toString()
                        : lb.dnsName() + " (" + lb.state().codeAsString() + ")");
        if (lb != null) {
            report.endpoint(lb.dnsName() + ":" + ClusterSpec.PG_PORT);
        }
        Listener listener = listener(listeners);
        report.put("listener", "TCP " + ClusterSpec.PG_PORT, listener == null ? null : listener.listenerArn(),
                listener == null ? Status.MISSING : Status.EXISTS, "forward to " + name);
    }

    private static LoadBalancerSchemeEnum scheme(ClusterSpec spec) {
        return spec.publicLoadBalancer() ? LoadBalancerSchemeEnum.INTERNET_FACING : LoadBalancerSchemeEnum.INTERNAL;
    }

    /** One subnet per availability zone (the first given in each): a load balancer takes no more. */
    static List<String> loadBalancerSubnets(Network net) {
        Map<String, String> byZone = new LinkedHashMap<>();
        for (Subnet s : net.subnets()) {
            byZone.putIfAbsent(s.availabilityZone(), s.subnetId());
        }
        return new ArrayList<>(byZone.values());
    }

    /** Step 3: makes the load balancer if it is missing. */
    LoadBalancer apply(Plan plan) {
        ClusterSpec spec = plan.spec();
        String name = Names.resource(spec.name());
        LoadBalancer lb = plan.inventory().loadBalancer();
        boolean created = lb == null;
        if (lb == null) {
            lb = elb.createLoadBalancer(r -> r.name(name).type(LoadBalancerTypeEnum.NETWORK).scheme(scheme(spec))
                    .subnets(loadBalancerSubnets(plan.network())).tags(SdkTags.elb(spec.name()))).loadBalancers().get(0);
            plan.report().put("load-balancer", name, lb.loadBalancerArn(), Status.CREATED,
                    lb.dnsName() + " (" + lb.state().codeAsString() + ")");
        }
        plan.report().endpoint(lb.dnsName() + ":" + ClusterSpec.PG_PORT);
        ClusterProvisioner.step(progress, 5, "load balancer " + name + ": " + (created ? "created " : "exists ")
                + lb.loadBalancerArn() + " (" + lb.scheme() + ", " + lb.state().codeAsString() + ")");
        return lb;
    }

    private static Listener listener(Collection<Listener> listeners) {
        return listeners.stream().filter(l -> Objects.equals(l.port(), ClusterSpec.PG_PORT)).findFirst().orElse(null);
    }

    /** Step 4: makes the listener if it is missing; refuses one that forwards elsewhere. */
    void listener(Plan plan, LoadBalancer lb, String tg) {
        String key = "TCP " + ClusterSpec.PG_PORT;
        Listener existing = listener(plan.inventory().listeners());
        if (existing != null) {
            boolean ours = existing.defaultActions().stream().anyMatch(a -> tg.equals(a.targetGroupArn()));
            if (!ours) {
                throw new ProvisionException("listener", "the listener on port " + ClusterSpec.PG_PORT + " of "
                        + lb.loadBalancerName() + " forwards elsewhere (" + existing.listenerArn() + "); delete it "
                        + "and run again", plan.report(), null);
            }
            ClusterProvisioner.step(progress, 6, "listener " + key + ": exists " + existing.listenerArn());
            return;
        }
        Listener l = elb.createListener(r -> r.loadBalancerArn(lb.loadBalancerArn()).protocol(ProtocolEnum.TCP)
                .port(ClusterSpec.PG_PORT).defaultActions(a -> a.type(ActionTypeEnum.FORWARD).targetGroupArn(tg))
                .tags(SdkTags.elb(plan.spec().name()))).listeners().get(0);
        plan.report().put("listener", key, l.listenerArn(), Status.CREATED, "forward to " + Names.resource(plan.spec().name()));
        ClusterProvisioner.step(progress, 6, "listener " + key + ": created " + l.listenerArn());
    }

    /** Step 8: waits until the load balancer is active and reports its DNS name. */
    void waitActive(Plan plan, LoadBalancer lb) {
        String arn = lb.loadBalancerArn();
        if (lb.state().code() != LoadBalancerStateEnum.ACTIVE) {
            progress.step("      waiting for the load balancer to be active...");
            try (ElasticLoadBalancingV2Waiter waiter = ElasticLoadBalancingV2Waiter.builder().client(elb)
                    .overrideConfiguration(pacing.waiter(pacing.loadBalancerTimeout())).build()) {
                waiter.waitUntilLoadBalancerAvailable(r -> r.loadBalancerArns(arn));
            }
        }
        LoadBalancer now = elb.describeLoadBalancers(r -> r.loadBalancerArns(arn)).loadBalancers().get(0);
        String name = Names.resource(plan.spec().name());
        ProvisionReport.Resource r = plan.report().get("load-balancer", name);
        plan.report().put("load-balancer", name, arn, r.status(), now.dnsName() + " (" + now.state().codeAsString() + ")");
        ClusterProvisioner.step(progress, 10, "load balancer " + now.state().codeAsString() + ": " + now.dnsName() + ":"
                + ClusterSpec.PG_PORT);
    }
}
