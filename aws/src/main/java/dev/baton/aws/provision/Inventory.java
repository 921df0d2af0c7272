package dev.baton.aws.provision;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;

/**
 * What AWS holds of one cluster, found by its tag and names.
 *
 * @param securityGroups groups tagged with the cluster
 * @param targetGroup    the target group {@code baton-NAME} tagged with the cluster, or null
 * @param loadBalancer   the load balancer {@code baton-NAME} tagged with the cluster, or null
 * @param listeners      the load balancer's listeners
 * @param instances      instances tagged with the cluster, in every state (terminated ones too,
 *                       which AWS shows for about an hour)
 * @param conflicts      resources named like the cluster's but not tagged with it, which Baton leaves alone
 */
public record Inventory(String cluster, List<SecurityGroup> securityGroups, TargetGroup targetGroup,
                        LoadBalancer loadBalancer, List<Listener> listeners, List<Instance> instances,
                        List<String> conflicts) {

    private static final Set<InstanceStateName> GONE = Set.of(InstanceStateName.TERMINATED,
            InstanceStateName.SHUTTING_DOWN);

    public Inventory {
        securityGroups = List.copyOf(securityGroups);
        listeners = List.copyOf(listeners);
        instances = List.copyOf(instances);
        conflicts = List.copyOf(conflicts);
    }

    /** True when nothing of the cluster exists (terminated instances aside). */
    public boolean empty() {
        return securityGroups.isEmpty() && targetGroup == null && loadBalancer == null && live().isEmpty();
    }

    /** Instances neither terminated nor shutting down, by member name. */
    public List<Instance> live() {
        return instances.stream().filter(Inventory::live).sorted(Comparator.comparing(Inventory::memberOrder)).toList();
    }

    /** True for an instance neither terminated nor shutting down. */
    public static boolean live(Instance i) {
        return !GONE.contains(i.state().name());
    }

    /** The live instance of a member, or null. */
    public Instance member(String member) {
        return live().stream().filter(i -> member.equals(tag(i.tags(), Names.MEMBER_TAG))).findFirst().orElse(null);
    }

    /** How many instances of a member were terminated (or are shutting down). */
    public int gone(String member) {
        return (int) instances.stream().filter(i -> !live(i) && member.equals(tag(i.tags(), Names.MEMBER_TAG))).count();
    }

    /** The security group named {@code baton-NAME} in {@code vpcId}, or null. */
    public SecurityGroup securityGroup(String vpcId) {
        return securityGroups.stream().filter(g -> g.groupName().equals(Names.resource(cluster))
                && (vpcId == null || vpcId.equals(g.vpcId()))).findFirst().orElse(null);
    }

    /** A tag's value, or null. */
    public static String tag(List<Tag> tags, String key) {
        for (Tag t : tags) {
            if (t.key().equals(key)) {
                return t.value();
            }
        }
        return null;
    }

    private static String memberOrder(Instance i) {
        String m = tag(i.tags(), Names.MEMBER_TAG);
        if (m == null) {
            return "~" + i.instanceId();
        }
        int dash = m.lastIndexOf('-');
        String n = dash < 0 ? m : m.substring(dash + 1);
        return n.matches("\\d+") ? String.format("%s-%06d", m.substring(0, Math.max(0, dash)), Integer.parseInt(n)) : m;
    }
}
