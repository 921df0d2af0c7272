package dev.baton.aws.provision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Tag;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TagDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;

/** Finds clusters' resources by the {@code baton:cluster} tag and the {@code baton-NAME} names. Reads only. */
public final class ClusterInventory {
    private final Ec2Client ec2;
    private final ElasticLoadBalancingV2Client elb;

    public ClusterInventory(Ec2Client ec2, ElasticLoadBalancingV2Client elb) {
        this.ec2 = ec2;
        this.elb = elb;
    }

    /** Everything of {@code cluster}. */
    public Inventory read(String cluster) {
        Filter byCluster = Filter.builder().name("tag:" + Names.CLUSTER_TAG).values(cluster).build();
        List<SecurityGroup> groups = ec2.describeSecurityGroupsPaginator(r -> r.filters(byCluster))
                .securityGroups().stream().toList();
        List<Instance> instances = ec2.describeInstancesPaginator(r -> r.filters(byCluster)).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList();
        List<String> conflicts = new ArrayList<>();
        String name = Names.resource(cluster);
        TargetGroup tg = null;
        try {
            tg = elb.describeTargetGroups(r -> r.names(name)).targetGroups().stream().findFirst().orElse(null);
        } catch (TargetGroupNotFoundException e) {
            // none yet
        }
        LoadBalancer lb = null;
        try {
            lb = elb.describeLoadBalancers(r -> r.names(name)).loadBalancers().stream().findFirst().orElse(null);
        } catch (LoadBalancerNotFoundException e) {
            // none yet
        }
        List<String> arns = new ArrayList<>();
        if (tg != null) {
            arns.add(tg.targetGroupArn());
        }
        if (lb != null) {
            arns.add(lb.loadBalancerArn());
        }
        Map<String, Map<String, String>> tags = tags(arns);
        if (tg != null && !cluster.equals(tags.getOrDefault(tg.targetGroupArn(), Map.of()).get(Names.CLUSTER_TAG))) {
            conflicts.add("target group " + name + " (" + tg.targetGroupArn() + ") exists but is not tagged "
                    + Names.CLUSTER_TAG + "=" + cluster);
            tg = null;
        }
        if (lb != null && !cluster.equals(tags.getOrDefault(lb.loadBalancerArn(), Map.of()).get(Names.CLUSTER_TAG))) {
            conflicts.add("load balancer " + name + " (" + lb.loadBalancerArn() + ") exists but is not tagged "
                    + Names.CLUSTER_TAG + "=" + cluster);
            lb = null;
        }
        List<Listener> listeners = List.of();
        if (lb != null) {
            String arn = lb.loadBalancerArn();
            listeners = elb.describeListenersPaginator(r -> r.loadBalancerArn(arn)).listeners().stream().toList();
        }
        return new Inventory(cluster, groups, tg, lb, listeners, instances, conflicts);
    }

    /** The tags of up to any number of ELBv2 resources (DescribeTags takes 20 at a time). */
    public Map<String, Map<String, String>> tags(List<String> arns) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (int i = 0; i < arns.size(); i += 20) {
            List<String> batch = arns.subList(i, Math.min(arns.size(), i + 20));
            for (TagDescription d : elb.describeTags(r -> r.resourceArns(batch)).tagDescriptions()) {
                Map<String, String> m = new LinkedHashMap<>();
                for (Tag t : d.tags()) {
                    m.put(t.key(), t.value());
                }
                out.put(d.resourceArn(), m);
            }
        }
        return out;
    }

    /** One line of {@code baton aws list}. */
    public record Summary(String cluster, int instances, int running, String loadBalancerDns, String loadBalancerState) {
    }

    /** Every cluster with a tagged instance, security group or load balancer in the region, by name. */
    public List<Summary> list() {
        Filter tagged = Filter.builder().name("tag-key").values(Names.CLUSTER_TAG).build();
        Map<String, int[]> counts = new TreeMap<>();
        for (Instance i : ec2.describeInstancesPaginator(r -> r.filters(tagged)).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList()) {
            String c = Inventory.tag(i.tags(), Names.CLUSTER_TAG);
            if (Inventory.live(i)) {
                // Terminated instances stay visible for about an hour; they make no cluster.
                int[] n = counts.computeIfAbsent(c, k -> new int[2]);
                n[0]++;
                if (i.state().nameAsString().equals("running")) {
                    n[1]++;
                }
            }
        }
        for (SecurityGroup g : ec2.describeSecurityGroupsPaginator(r -> r.filters(tagged)).securityGroups()) {
            counts.computeIfAbsent(Inventory.tag(g.tags(), Names.CLUSTER_TAG), k -> new int[2]);
        }
        List<LoadBalancer> lbs = elb.describeLoadBalancersPaginator(r -> { }).loadBalancers().stream()
                .filter(l -> l.loadBalancerName().startsWith("baton-")).toList();
        Map<String, Map<String, String>> tags = tags(lbs.stream().map(LoadBalancer::loadBalancerArn).toList());
        Map<String, LoadBalancer> byCluster = new LinkedHashMap<>();
        for (LoadBalancer l : lbs) {
            String c = tags.getOrDefault(l.loadBalancerArn(), Map.of()).get(Names.CLUSTER_TAG);
            if (c != null && l.loadBalancerName().equals(Names.resource(c))) {
                byCluster.put(c, l);
                counts.computeIfAbsent(c, k -> new int[2]);
            }
        }
        List<Summary> out = new ArrayList<>();
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            LoadBalancer l = byCluster.get(e.getKey());
            out.add(new Summary(e.getKey(), e.getValue()[0], e.getValue()[1], l == null ? null : l.dnsName(),
                    l == null ? null : l.state().codeAsString()));
        }
        return out;
    }
}
